import { normalizePhone, scheduleState } from '@switchboard/shared'
import type { Links } from '../../core/links.ts'
import type { numbers, users } from '../../db/schema/index.ts'
import { toBusinessHours } from '../../telephony/number-config.ts'
import { isAvailableNow } from '../users/availability.ts'
import { fullName } from '../users/user-json.ts'
import type { MessageSetting, MusicSetting, NumberSettings } from './number-settings.ts'

export type NumberRow = typeof numbers.$inferSelect
type UserRow = typeof users.$inferSelect

export const audioLink = (links: Links, numberId: number, audioId: string) =>
  `${links.base}/v1/numbers/${numberId}/audio/${audioId}`

/** "+33 1 76 11 11 11": Aircall's `digits` display format. */
export function displayDigits(e164: string): string {
  return normalizePhone(e164)?.international ?? e164
}

/** Regulatory states in which the number takes and places calls. */
export const isActiveState = (state: NumberRow['verificationState']) =>
  state === 'active' || state === 'not_required'

/** Open right now per business hours; an exceptional period counts as closed (calls are diverted). */
export function isOpenAt(settings: NumberSettings, at: Date): boolean {
  return scheduleState(toBusinessHours(settings.business_hours), at).open
}

const AVAILABILITY_BY_MODE = { always_open: 'open', always_closed: 'closed', custom: 'custom' } as const

/** `ivr_status`: the dashboard's red banner "Votre SVI est actuellement vide". */
export function ivrStatus(row: Pick<NumberRow, 'type' | 'settings'>): 'empty' | 'ok' | null {
  if (row.type !== 'ivr') return null
  return row.settings.ivr.options.length === 0 ? 'empty' : 'ok'
}

function liveRecording(row: NumberRow): boolean {
  const { inbound, outbound } = row.settings.recording
  return outbound.auto_start || (row.type === 'classic' && inbound.auto_start)
}

/** The user ids that may use the number, in routing order: distribution first, then outbound-only. */
export function assignedUserIds(
  row: Pick<NumberRow, 'type' | 'settings'>,
  teamMembers: ReadonlyMap<number, number[]>,
) {
  const ids: number[] = []
  const add = (id: number) => {
    if (!ids.includes(id)) ids.push(id)
  }
  if (row.type === 'classic') {
    for (const step of row.settings.distribution.steps) {
      if (step.type === 'user') add(step.user_id)
      else for (const id of teamMembers.get(step.team_id) ?? []) add(id)
    }
  }
  for (const id of row.settings.outbound_only.user_ids) add(id)
  for (const teamId of row.settings.outbound_only.team_ids)
    for (const id of teamMembers.get(teamId) ?? []) add(id)
  return ids
}

/** Teams whose members count as assigned to the number. */
export function assignedTeamIds(row: Pick<NumberRow, 'type' | 'settings'>): number[] {
  const ids = new Set<number>(row.settings.outbound_only.team_ids)
  if (row.type === 'classic') {
    for (const step of row.settings.distribution.steps) if (step.type === 'team') ids.add(step.team_id)
  }
  return [...ids]
}

function messageUrl(links: Links, numberId: number, m: MessageSetting | MusicSetting): string | null {
  return m && m.type === 'audio' ? audioLink(links, numberId, m.audio_id) : null
}

/** Aircall's `messages` keys (reference/aircall-api.md §1.7), in Aircall's order. */
export const AIRCALL_MESSAGE_KEYS = [
  'welcome',
  'waiting',
  'ringing_tone',
  'unanswered_call',
  'after_hours',
  'ivr',
  'voicemail',
  'closed',
  'callback_later',
] as const
export type AircallMessageKey = (typeof AIRCALL_MESSAGE_KEYS)[number]
export type MessageSlot = keyof NumberSettings['messages']

/**
 * The settings slot behind each Aircall key, read by GET and written by PUT /v1/numbers/:id:
 * - `welcome` → welcome; `waiting` (hold and transfer music) → music_on_hold;
 * - `unanswered_call` → unavailable (played when nobody answered, before voicemail), and
 *   `voicemail`, its deprecated IVR name, too;
 * - `after_hours` → closed (out of business hours), and `closed`, its deprecated IVR name;
 * - `ivr` → ivr_menu; `callback_later` → callback_confirmation (after `*` asked for a callback);
 * - `ringing_tone` → none: callers hear the carrier's ringback while agents ring, and replacing
 *   it is not supported (music on hold is `waiting`), so it always reads null.
 */
export const AIRCALL_MESSAGE_SLOTS: Record<AircallMessageKey, MessageSlot | null> = {
  welcome: 'welcome',
  waiting: 'music_on_hold',
  ringing_tone: null,
  unanswered_call: 'unavailable',
  after_hours: 'closed',
  ivr: 'ivr_menu',
  voicemail: 'unavailable',
  closed: 'closed',
  callback_later: 'callback_confirmation',
}

/**
 * The number types each key may be written on. Aircall lists `ringing_tone` for classic
 * numbers and `ivr`, `voicemail`, `closed` for IVR ones; `unanswered_call` and `after_hours`
 * replace the deprecated IVR keys, so they apply to both. `callback_later` is an IVR key at
 * Aircall, but our callback on `*` works while waiting on any number, so both types take it.
 */
export const AIRCALL_MESSAGE_TYPES: Record<AircallMessageKey, readonly NumberRow['type'][]> = {
  welcome: ['classic', 'ivr'],
  waiting: ['classic', 'ivr'],
  ringing_tone: ['classic'],
  unanswered_call: ['classic', 'ivr'],
  after_hours: ['classic', 'ivr'],
  ivr: ['ivr'],
  voicemail: ['ivr'],
  closed: ['ivr'],
  callback_later: ['classic', 'ivr'],
}

/** Aircall's `messages` object: the URL of the uploaded MP3 behind each key, else null. */
export function aircallMessages(
  row: Pick<NumberRow, 'id' | 'settings'>,
  links: Links,
): Record<AircallMessageKey, string | null> {
  const at = (key: AircallMessageKey) => {
    const slot = AIRCALL_MESSAGE_SLOTS[key]
    return slot ? messageUrl(links, row.id, row.settings.messages[slot]) : null
  }
  return {
    welcome: at('welcome'),
    waiting: at('waiting'),
    ringing_tone: at('ringing_tone'),
    unanswered_call: at('unanswered_call'),
    after_hours: at('after_hours'),
    ivr: at('ivr'),
    voicemail: at('voicemail'),
    closed: at('closed'),
    callback_later: at('callback_later'),
  }
}

/**
 * Aircall's Number object (§1.7) followed by ours. `messages` holds Aircall's keys with the
 * URL of an uploaded MP3, or null when the message is text-to-speech, a library track or
 * unset; `settings.messages` has the full detail.
 */
export function toNumberJson(row: NumberRow, nestedUsers: UserRow[], links: Links, now: Date) {
  const s = row.settings
  return {
    id: row.id,
    direct_link: links.number(row.id),
    name: row.name,
    digits: displayDigits(row.e164),
    e164_digits: row.e164,
    country: row.country,
    time_zone: row.timeZone,
    open: isOpenAt(s, now),
    availability_status: AVAILABILITY_BY_MODE[s.business_hours.mode],
    is_ivr: row.type === 'ivr',
    live_recording_activated: liveRecording(row),
    users: nestedUsers.map((u) => ({
      id: u.id,
      direct_link: links.user(u.id),
      name: fullName(u),
      email: u.email,
      available: isAvailableNow(u, now),
      availability_status: u.availabilityStatus,
    })),
    priority: row.priority,
    messages: aircallMessages(row, links),
    created_at: row.createdAt.toISOString(),
    type: row.type,
    area: row.area,
    active: isActiveState(row.verificationState),
    verification_state: row.verificationState,
    rejection_reason: row.rejectionReason,
    monthly_price: { amount_minor: row.monthlyPriceMinor, currency: row.currency },
    ivr_status: ivrStatus(row),
    users_count: nestedUsers.length,
    settings: s,
  }
}

export type NumberJson = ReturnType<typeof toNumberJson>
