import type { MessageSlot } from '@switchboard/shared'
import type { NumberRow } from './number-rules.ts'

/** Aircall's `messages` keys of a Number, in Aircall's order. */
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
