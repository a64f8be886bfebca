import type { NumberSettings } from '@switchboard/shared'
import { type CallActivityInput, type CallKind, callKind } from '@switchboard/shared'
import { and, asc, eq, getTableColumns, inArray } from 'drizzle-orm'
import { urlSigningSecret } from '../../blobs/url-signing-secret.ts'
import type { Clock } from '../../core/clock.ts'
import type { Queryable } from '../../db/client.ts'
import { callComments, calls, callTags, numbers, tags, users } from '../../db/schema/index.ts'
import type { Env } from '../../env.ts'
import { MAX_ASSET_URL_TTL_SEC, signedAssetUrl } from '../../telephony/audio/call-assets.ts'
import { finalizedColumn } from '../../telephony/engine/call-finalize.ts'
import { eventBase } from '../../telephony/engine/call-object.ts'
import { isOpenAt } from '../../telephony/number-config.ts'

/** A call as the sync sees it: the activity to log, and what the settings decide on. */
export type SyncCall = {
  id: number
  companyId: number
  version: number
  /** Hung up and finalized (its recording / voicemail stored, call.ended sent). */
  ended: boolean
  kind: CallKind
  /** The number was open when the call started (its business hours). */
  inBusinessHours: boolean
  /** Null when the call cannot be logged (an anonymous caller: no number to log). */
  activity: CallActivityInput | null
  hasMedia: boolean
}

const E164 = /^\+\d{6,15}$/
const unix = (d: Date | null) => (d ? Math.floor(d.getTime() / 1000) : null)

/**
 * The idempotency key written on the CRM activity (HubSpot's unique property, Salesforce's
 * CallObject, Zendesk's external_id): one per call, whatever the integration.
 */
export const callRef = (callId: number) => `sb-call-${callId}`

/**
 * Recording and voicemail links for CRMs last as long as a signed link may (7 days), not the
 * hour of the API's Call object: a CRM stores the link on the activity and people open it
 * days later, whereas an API client fetches a fresh Call object whenever it needs the file.
 */
export const CRM_ASSET_URL_TTL_SEC = MAX_ASSET_URL_TTL_SEC

/**
 * Loads calls of one company with everything their CRM activity shows: the line, the agent,
 * tag names, comments in order, signed media links. A handful of queries for the whole set.
 */
export async function loadSyncCalls(
  db: Queryable,
  deps: { env: Env; clock: Clock },
  companyId: number,
  callIds: readonly number[],
): Promise<Map<number, SyncCall>> {
  const out = new Map<number, SyncCall>()
  if (callIds.length === 0) return out
  const ids = [...new Set(callIds)]
  // Whether the call is finalized comes with its row, in the same snapshot: read apart, a
  // finalization committing in between showed a call ended without the recording it stored.
  const rows = await db
    .select({
      ...getTableColumns(calls),
      finalized: finalizedColumn,
    })
    .from(calls)
    .where(and(eq(calls.companyId, companyId), inArray(calls.id, ids)))
  if (rows.length === 0) return out
  const numberIds = [...new Set(rows.map((r) => r.numberId))]
  const userIds = [...new Set(rows.map((r) => r.userId).filter((u): u is number => u !== null))]
  const [numberRows, userRows, tagRows, commentRows] = await Promise.all([
    db
      .select({ id: numbers.id, name: numbers.name, e164: numbers.e164, settings: numbers.settings })
      .from(numbers)
      .where(and(eq(numbers.companyId, companyId), inArray(numbers.id, numberIds))),
    userIds.length === 0
      ? Promise.resolve([])
      : db
          .select({ id: users.id, firstName: users.firstName, lastName: users.lastName, email: users.email })
          .from(users)
          .where(and(eq(users.companyId, companyId), inArray(users.id, userIds))),
    db
      .select({ callId: callTags.callId, name: tags.name })
      .from(callTags)
      .innerJoin(tags, eq(tags.id, callTags.tagId))
      .where(and(eq(callTags.companyId, companyId), inArray(callTags.callId, ids)))
      .orderBy(asc(callTags.createdAt), asc(tags.name)),
    db
      .select({ callId: callComments.callId, content: callComments.content })
      .from(callComments)
      .where(and(eq(callComments.companyId, companyId), inArray(callComments.callId, ids)))
      .orderBy(asc(callComments.id)),
  ])
  const numberById = new Map(numberRows.map((n) => [n.id, n]))
  const userById = new Map(userRows.map((u) => [u.id, u]))
  const tagsOf = new Map<number, string[]>()
  for (const t of tagRows) tagsOf.set(t.callId, [...(tagsOf.get(t.callId) ?? []), t.name])
  const commentsOf = new Map<number, string[]>()
  for (const c of commentRows) commentsOf.set(c.callId, [...(commentsOf.get(c.callId) ?? []), c.content])

  const base = eventBase(deps.env)
  const secret = urlSigningSecret(deps.env)
  const now = deps.clock.now()
  const link = (blobKey: string | null) =>
    blobKey
      ? signedAssetUrl({ secret, base, companyId, blobKey, now, ttlSec: CRM_ASSET_URL_TTL_SEC }).url
      : null

  for (const row of rows) {
    const number = numberById.get(row.numberId)
    const user = row.userId !== null ? userById.get(row.userId) : undefined
    const voicemail = row.voicemailBlobId !== null || (row.voicemailDurationSec ?? 0) > 0
    const answeredAt = unix(row.answeredAt)
    const kind = callKind({ direction: row.direction, answered_at: answeredAt, voicemail })
    const settings = number?.settings as NumberSettings | undefined
    const inBusinessHours =
      row.missedCallReason === 'out_of_opening_hours'
        ? false
        : settings
          ? safeIsOpen(settings, row.startedAt)
          : true
    const loggable = E164.test(row.externalNumber) && number !== undefined && E164.test(number.e164)
    const activity: CallActivityInput | null = loggable
      ? {
          call_id: row.id,
          call_ref: callRef(row.id),
          direction: row.direction,
          started_at: unix(row.startedAt)!,
          answered_at: answeredAt,
          ended_at: unix(row.endedAt),
          voicemail,
          missed_call_reason: row.missedCallReason,
          external_number: row.externalNumber,
          line: { e164: number.e164, name: number.name },
          agent: user ? { name: `${user.firstName} ${user.lastName}`.trim(), email: user.email } : null,
          tags: tagsOf.get(row.id) ?? [],
          comments: commentsOf.get(row.id) ?? [],
          recording_url: link(row.recordingBlobId),
          voicemail_url: link(row.voicemailBlobId),
        }
      : null
    out.set(row.id, {
      id: row.id,
      companyId,
      version: row.version,
      ended: row.endedAt !== null && row.finalized,
      kind,
      inBusinessHours,
      activity,
      hasMedia: row.recordingBlobId !== null || row.voicemailBlobId !== null,
    })
  }
  return out
}

function safeIsOpen(settings: NumberSettings, at: Date): boolean {
  try {
    return isOpenAt(settings, at)
  } catch {
    // Settings the router cannot read count as open: log rather than silently drop.
    return true
  }
}
