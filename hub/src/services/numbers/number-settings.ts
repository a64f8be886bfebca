import { z } from '@hono/zod-openapi'
import {
  IVR_KEYS,
  MUSIC_LIBRARY,
  type NumberSettings,
  TEAM_STRATEGIES,
  type TtsMessageSetting,
} from '@switchboard/shared'
import { withoutNul } from '../../core/text.ts'
import {
  DEFAULT_IVR_TIMEOUT_SEC,
  DEFAULT_MAX_QUEUE_TIME_SEC,
  DEFAULT_TEAM_RING_SEC,
  DEFAULT_USER_RING_SEC,
  MAX_RING_SEC,
  MIN_RING_SEC,
  TEAM_MEMBER_RING_SEC,
} from '../../telephony/routing-types.ts'
import { findTtsLanguage, voiceProblem } from '../../telephony/tts/voices.ts'

/**
 * The routing configuration of a number (numbers.settings), as the API reads and writes it.
 * This zod schema checks the shape and the ranges; number-settings-validation.ts then checks
 * the document as a whole against the company (users, teams, numbers and audio it points to,
 * transfer loops, schedule slots) before anything is stored.
 */

export const MAX_IVR_OPTIONS = 10

const id = z.number().int().min(1).max(2_147_483_647)
/** Postgres text and jsonb cannot hold NUL: refuse it as bad input instead of failing the write. */
const text = (max: number) => withoutNul(z.string().trim().min(1).max(max))
const ringTime = (fallback: number, meaning = '') =>
  z
    .number()
    .int()
    .min(MIN_RING_SEC)
    .max(MAX_RING_SEC)
    .default(fallback)
    .openapi({ description: `Seconds (${MIN_RING_SEC}–${MAX_RING_SEC}); default ${fallback}.${meaning}` })
/** The router's meaning of a team's ring time (hub/src/telephony/routing-types.ts). */
const TEAM_RING_MEANING =
  ' The total time of the team step, whatever the strategy: simultaneous rings every available' +
  ` member for that long; random and longest_idle ring one member at a time, each for ${TEAM_MEMBER_RING_SEC} s` +
  ' or what is left of the step, and stop when the step time is up.'

export const ttsMessageSchema = z
  .object({
    type: z.literal('tts'),
    text: text(1000),
    language: z
      .string()
      .max(20)
      .openapi({ example: 'fr-FR', description: 'One of GET /v1/numbers/tts-languages' }),
    voice: z.string().max(40).default('female').openapi({
      example: 'celine',
      description: 'A voice id of the language, or "female" / "male" for its first voice of that gender',
    }),
  })
  .superRefine((m, ctx) => {
    const language = findTtsLanguage(m.language)
    if (!language) {
      ctx.addIssue({
        code: 'custom',
        path: ['language'],
        message: 'is not a text-to-speech language; see GET /v1/numbers/tts-languages',
      })
      return
    }
    const problem = voiceProblem(language, m.voice)
    if (problem) ctx.addIssue({ code: 'custom', path: ['voice'], message: problem })
  })
  .openapi('TtsMessage')

export const audioRefSchema = z
  .object({
    type: z.literal('audio'),
    audio_id: z.uuid().openapi({ description: 'Id returned by POST /v1/numbers/{id}/audio' }),
  })
  .openapi('AudioRef')

export const messageSchema = z.discriminatedUnion('type', [ttsMessageSchema, audioRefSchema]).nullable()

export const musicSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('library'), track: z.enum(MUSIC_LIBRARY) }),
    audioRefSchema,
  ])
  .openapi('MusicOnHold')

const userDestination = z.object({
  type: z.literal('user'),
  user_id: id,
  ring_time_sec: ringTime(DEFAULT_USER_RING_SEC),
})
const teamDestination = z.object({
  type: z.literal('team'),
  team_id: id,
  ring_time_sec: ringTime(DEFAULT_TEAM_RING_SEC, TEAM_RING_MEANING),
  strategy: z.enum(TEAM_STRATEGIES).default('simultaneous'),
})
const externalDestination = z.object({
  type: z.literal('external'),
  phone_number: z.string().min(3).max(40).openapi({
    description: 'Any format with a country code; stored in E.164',
    example: '+33 6 12 34 56 78',
  }),
})
const numberDestination = z.object({ type: z.literal('number'), number_id: id })
const voicemailDestination = z.object({ type: z.literal('voicemail') })
const hangupDestination = z.object({ type: z.literal('hangup') })

/** Where a call can be sent: IVR options, the IVR fallback, exceptional periods. */
export const destinationSchema = z
  .discriminatedUnion('type', [
    userDestination,
    teamDestination,
    externalDestination,
    numberDestination,
    voicemailDestination,
    hangupDestination,
  ])
  .openapi('Destination')

export const createNumberRequestSchema = z
  .object({
    type: z.enum(['classic', 'ivr']).default('classic'),
    country: z.string().regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166 alpha-2 code'),
    area: z
      .string()
      .regex(/^\d{1,5}$/, 'must be an area code from /v1/numbers/pricing')
      .optional(),
    name: text(100),
    users: z.array(id).max(100).optional(),
    teams: z.array(id).max(100).optional(),
    e164_digits: z
      .string()
      .optional()
      .openapi({ description: 'One of GET /v1/numbers/available; else the first free number of the area' }),
  })
  .openapi('CreateNumber')

/** An IVR option may also create the number it transfers to ("Créer un nouveau numéro"). */
const numberOrNewNumberDestination = z.object({
  type: z.literal('number'),
  number_id: id.optional(),
  create_number: createNumberRequestSchema
    .omit({ users: true, teams: true, e164_digits: true })
    .optional()
    .openapi({ description: 'Creates this number, then transfers to it (instead of number_id)' }),
})

export const destinationInputSchema = z
  .discriminatedUnion('type', [
    userDestination,
    teamDestination,
    externalDestination,
    numberOrNewNumberDestination,
    voicemailDestination,
    hangupDestination,
  ])
  .openapi('DestinationInput')

export const distributionStepSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('user'), user_id: id, ring_time_sec: ringTime(DEFAULT_USER_RING_SEC) }),
    z.object({
      type: z.literal('team'),
      team_id: id,
      ring_time_sec: ringTime(DEFAULT_TEAM_RING_SEC, TEAM_RING_MEANING),
      strategy: z.enum(TEAM_STRATEGIES).default('simultaneous'),
    }),
  ])
  .openapi('DistributionStep')

const slotSchema = z.object({
  from: z.string().openapi({ example: '09:00' }),
  to: z
    .string()
    .openapi({ example: '18:00', description: '"24:00" = midnight; slots may not cross midnight' }),
})

const daySlots = z.array(slotSchema).max(12).default([])
const weeklySchema = z.object({
  monday: daySlots,
  tuesday: daySlots,
  wednesday: daySlots,
  thursday: daySlots,
  friday: daySlots,
  saturday: daySlots,
  sunday: daySlots,
})

export const exceptionalPeriodSchema = z
  .object({
    name: text(100),
    start: z.string().openapi({ example: '2026-12-24T18:00', description: 'Local wall time, inclusive' }),
    end: z.string().openapi({ example: '2026-12-27T00:00', description: 'Local wall time, exclusive' }),
    destination: destinationSchema
      .nullable()
      .default(null)
      .openapi({ description: 'Where calls go during the period; null = the closed path' }),
  })
  .openapi('ExceptionalPeriod')

export const businessHoursSchema = z
  .object({
    time_zone: z.string().openapi({ example: 'Europe/Paris' }),
    mode: z.enum(['always_open', 'always_closed', 'custom']),
    weekly: weeklySchema.default({
      monday: [],
      tuesday: [],
      wednesday: [],
      thursday: [],
      friday: [],
      saturday: [],
      sunday: [],
    }),
    exceptions: z.array(exceptionalPeriodSchema).max(200).default([]),
  })
  .openapi('BusinessHours')

export const messagesSchema = z
  .object({
    welcome: messageSchema.default(null),
    closed: messageSchema.default(null).openapi({ description: 'Played out of business hours' }),
    unavailable: messageSchema.default(null).openapi({ description: 'Played when nobody answered' }),
    ivr_menu: messageSchema.default(null),
    callback_confirmation: messageSchema.default(null),
    music_on_hold: musicSchema.default({ type: 'library', track: 'default' }),
  })
  .openapi('NumberMessages')

export const distributionSchema = z
  .object({
    steps: z.array(distributionStepSchema).max(20).default([]),
    respect_queue_time: z.boolean().default(false),
    max_queue_time_sec: z
      .number()
      .int()
      .min(MIN_RING_SEC)
      .max(MAX_RING_SEC)
      .default(DEFAULT_MAX_QUEUE_TIME_SEC),
  })
  .openapi('Distribution')

const ivrOptionSchema = z.object({ key: z.enum(IVR_KEYS), destination: destinationSchema })
const ivrOptionInputSchema = z.object({ key: z.enum(IVR_KEYS), destination: destinationInputSchema })

const ivrFields = {
  fallback: destinationSchema
    .default({ type: 'voicemail' })
    .openapi({ description: 'When the caller picks nothing valid after the menu played twice' }),
  timeout_sec: z.number().int().min(1).max(30).default(DEFAULT_IVR_TIMEOUT_SEC),
}

export const ivrSchema = z
  .object({ options: z.array(ivrOptionSchema).max(MAX_IVR_OPTIONS).default([]), ...ivrFields })
  .openapi('Ivr')
export const ivrInputSchema = z
  .object({ options: z.array(ivrOptionInputSchema).max(MAX_IVR_OPTIONS).default([]), ...ivrFields })
  .openapi('IvrInput')

const recordingSide = z.object({
  auto_start: z.boolean().default(false),
  allow_pause_resume: z.boolean().default(true),
})

export const recordingSchema = z
  .object({
    inbound: recordingSide.default({ auto_start: false, allow_pause_resume: true }),
    outbound: recordingSide.default({ auto_start: false, allow_pause_resume: true }),
  })
  .openapi('Recording', { description: 'IVR numbers record outbound calls only' })

export const outboundOnlySchema = z
  .object({
    user_ids: z.array(id).max(500).default([]),
    team_ids: z.array(id).max(100).default([]),
  })
  .openapi('OutboundOnly', {
    description: 'Users and teams who call out with this number but never get its calls',
  })

const settingsFields = {
  business_hours: businessHoursSchema,
  messages: messagesSchema,
  voicemail_enabled: z.boolean(),
  distribution: distributionSchema,
  outbound_only: outboundOnlySchema,
  recording: recordingSchema,
  callback_on_star: z.boolean().openapi({ description: 'Pressing * while waiting asks for a callback' }),
  mandatory_tagging: z.boolean(),
  linked_integrations: z
    .array(id)
    .max(100)
    .openapi({ description: 'Integration ids (set by the connectors)' }),
}

/** The stored document; also the output of GET .../settings. */
export const numberSettingsSchema = z.object({ ...settingsFields, ivr: ivrSchema }).openapi('NumberSettings')

/** PUT .../settings: the whole document (IVR options may create numbers). */
export const numberSettingsInputSchema = z
  .object({ ...settingsFields, ivr: ivrInputSchema })
  .openapi('NumberSettingsInput')

/**
 * The messages of PATCH .../settings and PUT .../settings/messages: each slot given replaces that
 * message, a slot left out keeps it (saving the music on hold never silences the IVR menu), null
 * removes a spoken message.
 */
export const messagesPatchSchema = z
  .object({
    welcome: messageSchema.optional(),
    closed: messageSchema.optional(),
    unavailable: messageSchema.optional(),
    ivr_menu: messageSchema.optional(),
    callback_confirmation: messageSchema.optional(),
    music_on_hold: musicSchema.optional(),
  })
  .openapi('NumberMessagesPatch')

/**
 * PATCH .../settings: each section given replaces that section whole, except `messages`, where each
 * slot given replaces that message; the result is validated whole.
 */
export const numberSettingsPatchSchema = numberSettingsInputSchema
  .extend({ messages: messagesPatchSchema })
  .partial()
  .openapi('NumberSettingsPatch')

/**
 * The schema's output is exactly the shared NumberSettings type (the type the database column,
 * the router's adapter and the services use): a change to one that the other lacks fails the build.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const settingsMatch: Same<z.infer<typeof numberSettingsSchema>, NumberSettings> = true
const ttsMatch: Same<z.infer<typeof ttsMessageSchema>, TtsMessageSetting> = true
void settingsMatch
void ttsMatch

export type NumberSettingsInput = z.infer<typeof numberSettingsInputSchema>
export type NumberSettingsPatch = z.infer<typeof numberSettingsPatchSchema>
export type MessagesPatch = z.infer<typeof messagesPatchSchema>
export type DestinationInput = z.infer<typeof destinationInputSchema>
export type CreateNumberRequest = z.infer<typeof createNumberRequestSchema>
