import { type CallActivity, type CallKind, callKind, talkSeconds } from '@switchboard/shared'
import type { ConnectorSettings, CrmRecord } from '../contract.ts'
import { activityTitle, fromTo, notesText, resolveTagMapping } from '../mapping.ts'

/** The call property holding our call ref: the CRM-side half of exactly-once. */
export const CALL_REF_PROPERTY = 'switchboard_call_ref'

/** Association type id call → contact (HUBSPOT_DEFINED). */
export const CALL_TO_CONTACT = 194

/**
 * HubSpot's default call outcomes (`hs_call_disposition` takes the GUID, not the label).
 * https://developers.hubspot.com/docs/api-reference/legacy/crm/activities/calls/guide
 */
export const HUBSPOT_OUTCOMES = {
  busy: '9d9162e7-6cf3-4944-bf63-4dff82258764',
  connected: 'f240bbac-87c9-4f6e-bf70-924b57d47db7',
  leftLiveMessage: 'a4c4c377-d246-4b32-a13b-75a56a4cd0ff',
  leftVoicemail: 'b2cf5968-551e-4856-9783-52b3da59a7d0',
  noAnswer: '73a0d17f-1163-4015-bdd5-ec830791da20',
  wrongNumber: '17b47fee-58de-441e-a44c-c6300d46f273',
} as const

/** Aircall's defaults: answered → Connected, unanswered → No answer; voicemail left no outcome. */
const defaultOutcomes: Record<CallKind, string | null> = {
  inbound_answered: HUBSPOT_OUTCOMES.connected,
  inbound_missed: HUBSPOT_OUTCOMES.noAnswer,
  inbound_voicemail: null,
  outbound_answered: HUBSPOT_OUTCOMES.connected,
  outbound_unanswered: HUBSPOT_OUTCOMES.noAnswer,
}

function callStatus(call: CallActivity, kind: CallKind): string {
  if (call.ended_at === null) return call.answered_at !== null ? 'IN_PROGRESS' : 'RINGING'
  return kind === 'inbound_answered' || kind === 'outbound_answered' ? 'COMPLETED' : 'NO_ANSWER'
}

/** Recording URLs must be https to play on the record; anything else stays in the notes. */
function mediaUrl(call: CallActivity): string | null {
  const url = call.recording_url ?? call.voicemail_url
  return url?.startsWith('https://') ? url : null
}

/** The notes, with the recording or voicemail link when HubSpot cannot play it (not https). */
function callBody(call: CallActivity): string {
  const notes = notesText(call)
  const url = call.recording_url ?? call.voicemail_url
  if (!url || url.startsWith('https://')) return notes
  const link = `${call.recording_url ? 'Recording' : 'Voicemail'}: ${url}`
  return notes ? `${notes}\n\n${link}` : link
}

/** The calls-object properties for one call. Every value is a string: the SDK types them so. */
export function callProperties(
  call: CallActivity,
  settings: ConnectorSettings,
  ctx: { record: Pick<CrmRecord, 'id'> | null; recordName: string | null; ownerId: string | null },
): Record<string, string> {
  const kind = callKind(call)
  const fallback = kind in settings.outcomes ? (settings.outcomes[kind] ?? null) : defaultOutcomes[kind]
  const outcome = resolveTagMapping(call.tags, settings.tagOutcomes, fallback)
  const callType = resolveTagMapping(call.tags, settings.tagCallTypes, null)
  const { from, to } = fromTo(call)
  const props: Record<string, string> = {
    [CALL_REF_PROPERTY]: call.call_ref,
    hs_timestamp: new Date(call.started_at * 1000).toISOString(),
    hs_call_title: activityTitle(kind, call, ctx.recordName),
    hs_call_body: callBody(call),
    hs_call_direction: call.direction === 'inbound' ? 'INBOUND' : 'OUTBOUND',
    hs_call_disposition: outcome ?? '',
    // Milliseconds, talk time only.
    hs_call_duration: String(talkSeconds(call) * 1000),
    hs_call_from_number: from,
    hs_call_to_number: to,
    hs_call_status: callStatus(call, kind),
  }
  const media = mediaUrl(call)
  if (media) props.hs_call_recording_url = media
  if (kind === 'inbound_voicemail') props.hs_call_has_voicemail = 'true'
  if (callType) props.hs_activity_type = callType
  if (ctx.ownerId) props.hubspot_owner_id = ctx.ownerId
  if (ctx.record) {
    props.hs_call_callee_object_id = ctx.record.id
    props.hs_call_callee_object_type = 'CONTACT'
  }
  return props
}

export function contactAssociations(record: Pick<CrmRecord, 'id'> | null) {
  if (!record) return []
  return [
    {
      to: { id: record.id },
      types: [{ associationCategory: 'HUBSPOT_DEFINED' as const, associationTypeId: CALL_TO_CONTACT }],
    },
  ]
}

export function contactName(p: Record<string, string | null>): string {
  return [p.firstname, p.lastname].filter((s) => s && s.trim() !== '').join(' ') || p.email || p.phone || ''
}
