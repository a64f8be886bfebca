import { type MessageSetting, type MusicSetting, normalizePhone } from '@switchboard/shared'
import type { Links } from '../../core/links.ts'
import type { users } from '../../db/schema/index.ts'
import { isNumberActive } from '../../telephony/number-active.ts'
import { isOpenAt } from '../../telephony/number-config.ts'
import { isAvailableNow } from '../users/availability.ts'
import { fullName } from '../users/user-json.ts'
import { AIRCALL_MESSAGE_SLOTS, type AircallMessageKey } from './aircall-message-keys.ts'
import { ivrStatus, type NumberRow, recordsCalls } from './number-rules.ts'

export type { NumberRow }

type UserRow = typeof users.$inferSelect

export const audioLink = (links: Links, numberId: number, audioId: string) =>
  links.to(`/v1/numbers/${numberId}/audio/${audioId}`)

/** "+33 1 76 11 11 11": Aircall's `digits` display format. */
export function displayDigits(e164: string): string {
  return normalizePhone(e164)?.international ?? e164
}

const AVAILABILITY_BY_MODE = { always_open: 'open', always_closed: 'closed', custom: 'custom' } as const

function messageUrl(links: Links, numberId: number, m: MessageSetting | MusicSetting): string | null {
  return m && m.type === 'audio' ? audioLink(links, numberId, m.audio_id) : null
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

/** Aircall's fields of a Number, the ones a User's `numbers` nests too. */
function aircallNumberFields(row: NumberRow, links: Links, now: Date) {
  return {
    id: row.id,
    direct_link: links.number(row.id),
    name: row.name,
    digits: displayDigits(row.e164),
    created_at: row.createdAt.toISOString(),
    country: row.country,
    time_zone: row.timeZone,
    open: isOpenAt(row.settings, now),
    availability_status: AVAILABILITY_BY_MODE[row.settings.business_hours.mode],
    is_ivr: row.type === 'ivr',
    live_recording_activated: recordsCalls(row),
    priority: row.priority,
    messages: aircallMessages(row, links),
  }
}

/** A Number as Aircall nests it in a User's `numbers` (its fields without its `users`). */
export function toUserNumberJson(row: NumberRow, links: Links, now: Date) {
  return aircallNumberFields(row, links, now)
}
export type UserNumberJson = ReturnType<typeof toUserNumberJson>

/**
 * Aircall's Number object followed by ours. `messages` holds Aircall's keys with the URL of an
 * uploaded MP3, or null when the message is text-to-speech, a library track or unset;
 * `settings.messages` has the full detail.
 */
export function toNumberJson(row: NumberRow, nestedUsers: UserRow[], links: Links, now: Date) {
  const { created_at, messages, priority, ...aircall } = aircallNumberFields(row, links, now)
  // Aircall's field order: e164_digits after digits, users before priority and messages.
  return {
    id: aircall.id,
    direct_link: aircall.direct_link,
    name: aircall.name,
    digits: aircall.digits,
    e164_digits: row.e164,
    country: aircall.country,
    time_zone: aircall.time_zone,
    open: aircall.open,
    availability_status: aircall.availability_status,
    is_ivr: aircall.is_ivr,
    live_recording_activated: aircall.live_recording_activated,
    users: nestedUsers.map((u) => ({
      id: u.id,
      direct_link: links.user(u.id),
      name: fullName(u),
      email: u.email,
      available: isAvailableNow(u, now),
      availability_status: u.availabilityStatus,
    })),
    priority,
    messages,
    created_at,
    type: row.type,
    area: row.area,
    active: isNumberActive(row),
    verification_state: row.verificationState,
    rejection_reason: row.rejectionReason,
    monthly_price: { amount_minor: row.monthlyPriceMinor, currency: row.currency },
    ivr_status: ivrStatus(row),
    users_count: nestedUsers.length,
    settings: row.settings,
  }
}

export type NumberJson = ReturnType<typeof toNumberJson>
