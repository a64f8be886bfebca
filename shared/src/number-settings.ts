import type { TimeSlot, Weekday } from './schedule.ts'

/**
 * The routing configuration of a number (`numbers.settings`, `GET /v1/numbers/:id/settings`),
 * as plain types: the database column, the router's adapter and the API all read this one
 * shape. The hub's zod schema (hub/src/services/numbers/number-settings.ts) checks documents
 * against it and is compiled to match it exactly.
 */

export const IVR_KEYS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] as const
export type IvrKey = (typeof IVR_KEYS)[number]

export const TEAM_STRATEGIES = ['simultaneous', 'random', 'longest_idle'] as const
export type TeamStrategy = (typeof TEAM_STRATEGIES)[number]

/** Built-in music on hold (the dashboard's library). */
export const MUSIC_LIBRARY = ['default', 'classical', 'jazz', 'acoustic', 'ambient', 'corporate'] as const
export type MusicTrack = (typeof MUSIC_LIBRARY)[number]

/** The message slots of a number, in the order the dashboard shows them. */
export const MESSAGE_SLOTS = [
  'welcome',
  'closed',
  'unavailable',
  'ivr_menu',
  'callback_confirmation',
  'music_on_hold',
] as const
export type MessageSlot = (typeof MESSAGE_SLOTS)[number]

export type TtsMessageSetting = { type: 'tts'; text: string; language: string; voice: string }
export type AudioRefSetting = { type: 'audio'; audio_id: string }
/** A spoken message: text-to-speech, an uploaded MP3, or none. */
export type MessageSetting = TtsMessageSetting | AudioRefSetting | null
export type MusicSetting = { type: 'library'; track: MusicTrack } | AudioRefSetting

/** Where a call can be sent: IVR options, the IVR fallback, exceptional periods. */
export type DestinationSetting =
  | { type: 'user'; user_id: number; ring_time_sec: number }
  | { type: 'team'; team_id: number; ring_time_sec: number; strategy: TeamStrategy }
  | { type: 'external'; phone_number: string }
  | { type: 'number'; number_id: number }
  | { type: 'voicemail' }
  | { type: 'hangup' }

export type DistributionStepSetting =
  | { type: 'user'; user_id: number; ring_time_sec: number }
  | { type: 'team'; team_id: number; ring_time_sec: number; strategy: TeamStrategy }

export type ExceptionalPeriodSetting = {
  name: string
  /** Local wall time `YYYY-MM-DDTHH:MM`, inclusive. */
  start: string
  /** Local wall time, exclusive. */
  end: string
  /** null = the closed path. */
  destination: DestinationSetting | null
}

type RecordingSide = { auto_start: boolean; allow_pause_resume: boolean }

export type NumberMessages = Record<Exclude<MessageSlot, 'music_on_hold'>, MessageSetting> & {
  music_on_hold: MusicSetting
}

export type NumberSettings = {
  business_hours: {
    time_zone: string
    mode: 'always_open' | 'always_closed' | 'custom'
    weekly: Record<Weekday, TimeSlot[]>
    exceptions: ExceptionalPeriodSetting[]
  }
  messages: NumberMessages
  voicemail_enabled: boolean
  distribution: { steps: DistributionStepSetting[]; respect_queue_time: boolean; max_queue_time_sec: number }
  outbound_only: { user_ids: number[]; team_ids: number[] }
  recording: { inbound: RecordingSide; outbound: RecordingSide }
  callback_on_star: boolean
  mandatory_tagging: boolean
  linked_integrations: number[]
  ivr: {
    options: { key: IvrKey; destination: DestinationSetting }[]
    fallback: DestinationSetting
    timeout_sec: number
  }
}
