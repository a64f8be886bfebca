import { type CallActivity, callKind, normalizePhone, talkSeconds } from '@switchboard/shared'
import type { ConnectorSettings, CrmRecordType, LogRecord } from '../contract.ts'
import { activityTitle, digitsOf, notesText, resolveTagMapping } from '../mapping.ts'

/**
 * The call-ref marker lives in `subcategory` (String, 250), prefixed so it reads as ours. It is
 * a plain column, so `findActivity` is an exact `eq` read of the database, unaffected by what
 * people write in the description, and no search index with a lag is involved. An org whose
 * forms or business rules use Sub-Category for its own values would need another column.
 * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/reference/entities/phonecall
 */
export const CALL_REF_PREFIX = 'switchboard:'
export const callRefMarker = (callRef: string) => `${CALL_REF_PREFIX}${callRef}`

/** phonecall state / status pairs: Open 0/1; Completed 1/2 Made or 1/4 Received. */
export const OPEN = { statecode: 0, statuscode: 1 } as const
export const MADE = 2
export const RECEIVED = 4

/** `participationtypemask` of activity parties: the Sender ("Call From") and the ToRecipient. */
export const PARTY_FROM = 1
export const PARTY_TO = 2

export const entitySet: Record<CrmRecordType, string> = {
  contact: 'contacts',
  lead: 'leads',
  account: 'accounts',
}

const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

export function mediaLines(media: { recordingUrl?: string | null; voicemailUrl?: string | null }): string[] {
  return [
    media.recordingUrl ? `Recording: ${media.recordingUrl}` : null,
    media.voicemailUrl ? `Voicemail: ${media.voicemailUrl}` : null,
  ].filter((x): x is string => x !== null)
}

/**
 * Notes then links, at most 2000 characters (the column's limit); the links are kept whole and
 * the notes shortened, since a truncated link is worth nothing.
 */
export function descriptionWith(notes: string, links: string[]): string {
  const tail = links.join('\n\n')
  if (!tail) return truncate(notes, 2000)
  if (!notes) return truncate(tail, 2000)
  const room = 2000 - tail.length - 2
  return room > 1 ? `${truncate(notes, room)}\n\n${tail}` : truncate(tail, 2000)
}

/** The final statuscode of a call: Received (inbound) or Made (outbound). */
export function completedStatus(call: Pick<CallActivity, 'direction'>): number {
  return call.direction === 'inbound' ? RECEIVED : MADE
}

export function regardingBind(record: Pick<LogRecord, 'id' | 'type'> | null): Record<string, string> {
  if (!record) return {}
  return { [`regardingobjectid_${record.type}@odata.bind`]: `/${entitySet[record.type]}(${record.id})` }
}

/**
 * The phonecall's parties: the caller is the Sender on an inbound call and the ToRecipient on an
 * outbound one; the agent's user, when known, is the other side.
 * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/reference/entities/activityparty
 */
export function activityParties(
  call: Pick<CallActivity, 'direction'>,
  record: Pick<LogRecord, 'id' | 'type'> | null,
  systemUserId: string | null,
): Record<string, string | number>[] {
  const inbound = call.direction === 'inbound'
  const parties: Record<string, string | number>[] = []
  if (record)
    parties.push({
      [`partyid_${record.type}@odata.bind`]: `/${entitySet[record.type]}(${record.id})`,
      participationtypemask: inbound ? PARTY_FROM : PARTY_TO,
    })
  if (systemUserId)
    parties.push({
      'partyid_systemuser@odata.bind': `/systemusers(${systemUserId})`,
      participationtypemask: inbound ? PARTY_TO : PARTY_FROM,
    })
  return parties
}

/**
 * The writable phonecall columns for one call: written whole on create and on every update,
 * before the call is completed (a completed phonecall is read-only). `statecode` is not valid
 * for create; completing is a separate PATCH.
 * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/reference/entities/phonecall
 */
export function phonecallFields(
  call: CallActivity,
  settings: ConnectorSettings,
  record: LogRecord | null,
): Record<string, string | number | boolean> {
  const kind = callKind(call)
  const fallback = kind in settings.outcomes ? (settings.outcomes[kind] ?? null) : null
  const outcome = resolveTagMapping(call.tags, settings.tagOutcomes, fallback)
  const links = mediaLines({ recordingUrl: call.recording_url, voicemailUrl: call.voicemail_url })
  const fields: Record<string, string | number | boolean> = {
    subject: truncate(activityTitle(kind, call, record?.name ?? null), 200),
    description: descriptionWith(notesText(call), links),
    phonenumber: call.external_number,
    // Defaults to true (outgoing): an inbound call must say false.
    directioncode: call.direction === 'outbound',
    actualstart: new Date(call.started_at * 1000).toISOString(),
    // Whole minutes; a call that was talked in at all counts at least one.
    actualdurationminutes: Math.ceil(talkSeconds(call) / 60),
    leftvoicemail: kind === 'inbound_voicemail',
    subcategory: callRefMarker(call.call_ref),
    ...regardingBind(record),
  }
  if (call.ended_at !== null) fields.actualend = new Date(call.ended_at * 1000).toISOString()
  if (outcome) fields.category = truncate(outcome, 250)
  return fields
}

/** An OData string literal: quotes doubled. The client URL-encodes the whole filter (`+` → %2B). */
export function odataString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`
}

/**
 * The `$filter` for a number kept as free text: exact matches of the formats people type (E.164,
 * international and national layouts, bare digits) plus `endswith` on the last four digits,
 * which every layout ends with. Results are post-filtered by digits, so the wide `endswith` only
 * costs rows, never a wrong match.
 * https://learn.microsoft.com/en-us/power-apps/developer/data-platform/webapi/query/filter-rows
 */
export function phoneFilter(e164: string, fields: readonly string[]): string {
  const n = normalizePhone(e164)
  const digits = digitsOf(e164)
  const national = n ? digitsOf(n.national) : digits
  const variants = [
    ...new Set([e164, n?.international, n?.national, national, digits].filter((x): x is string => !!x)),
  ]
  const last4 = digits.slice(-4)
  const clauses = fields.flatMap((f) => [
    ...variants.map((v) => `${f} eq ${odataString(v)}`),
    `endswith(${f},${odataString(last4)})`,
  ])
  return `(${clauses.join(' or ')})`
}

/** The record's page in the Dynamics web client. */
export function recordUrl(orgUrl: string, type: CrmRecordType, id: string): string {
  return `${orgUrl}/main.aspx?pagetype=entityrecord&etn=${type}&id=${id}`
}
