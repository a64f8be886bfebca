import { z } from '@hono/zod-openapi'
import {
  businessHoursSchema,
  distributionSchema,
  ivrInputSchema,
  messagesPatchSchema,
  numberSettingsSchema,
} from '../../../services/numbers/number-settings.ts'
import { PREVIEW_PRESENCES } from '../../../telephony/preview.ts'
import { idParam, pageOf, withoutNul } from '../../openapi.ts'
import { paginationQuery } from '../../pagination.ts'
import { nestedUserFields } from '../users/schemas.ts'

const money = z.object({ amount_minor: z.number().int(), currency: z.string() }).openapi('Money')

export const numberUserSchema = z.object(nestedUserFields).openapi('NumberUser')

const url = z.string().nullable()
export const numberSchema = z
  .object({
    id: z.number().int(),
    direct_link: z.string(),
    name: z.string(),
    digits: z.string().openapi({ example: '+33 1 76 11 11 11' }),
    e164_digits: z.string().openapi({ example: '+33176111111' }),
    country: z.string(),
    time_zone: z.string(),
    open: z.boolean().openapi({ description: 'Within business hours right now' }),
    availability_status: z.enum(['open', 'custom', 'closed']),
    is_ivr: z.boolean(),
    live_recording_activated: z.boolean(),
    users: z.array(numberUserSchema),
    priority: z.number().int().nullable(),
    messages: z
      .object({
        welcome: url,
        waiting: url,
        ringing_tone: url,
        unanswered_call: url,
        after_hours: url,
        ivr: url,
        voicemail: url,
        closed: url,
        callback_later: url,
      })
      .openapi({ description: 'URL of the uploaded MP3, or null (text-to-speech, library music, unset)' }),
    created_at: z.string().openapi({ description: 'ISO 8601' }),
    type: z.enum(['classic', 'ivr']),
    area: z.string().nullable(),
    active: z
      .boolean()
      .openapi({ description: 'Verified (or no verification needed): takes and places calls' }),
    verification_state: z.enum(['not_required', 'pending_documents', 'in_review', 'active', 'rejected']),
    rejection_reason: z.string().nullable(),
    monthly_price: money,
    ivr_status: z.enum(['empty', 'ok']).nullable().openapi({
      description: '"empty": an IVR without options (the dashboard red banner); null for classic',
    }),
    users_count: z.number().int(),
    settings: numberSettingsSchema,
  })
  .openapi('Number')

export const numberEnvelope = z.object({ number: numberSchema }).openapi('NumberEnvelope')
export const numberList = pageOf('numbers', numberSchema).openapi('NumberList')
export const numbersByCountry = z
  .object({
    countries: z.array(z.object({ country: z.string(), name: z.string(), numbers: z.array(numberSchema) })),
  })
  .openapi('NumbersByCountry')

export const listNumbersQuery = paginationQuery.extend({
  search: z
    .string()
    .max(100)
    .optional()
    .openapi({ description: 'Part of the name or of the digits ("sales", "+33 1 76", "0176")' }),
  grouped: z
    .enum(['country'])
    .optional()
    .openapi({ description: '"country": every number grouped by country (no paging), for the dashboard' }),
})

export const pricingSchema = z
  .object({
    country: z.string(),
    name: z.string(),
    calling_code: z.string(),
    monthly_price: money,
    verification: z.object({
      required: z.boolean(),
      documents: z.array(z.enum(['identity', 'address'])),
      address_must_be_in: z.enum(['area', 'country']).nullable(),
    }),
    areas: z.array(z.object({ code: z.string(), name: z.string(), time_zone: z.string() })),
  })
  .openapi('NumberPricing')

export const availableNumberSchema = z
  .object({
    e164_digits: z.string(),
    digits: z.string(),
    country: z.string(),
    area: z.string(),
    area_name: z.string(),
    time_zone: z.string(),
    monthly_price: money,
  })
  .openapi('AvailableNumber')

const messageUrl = z
  .string()
  .max(2048)
  .nullable()
  .optional()
  .openapi({ description: 'Public https URL of an MP3 (≤ 10 MB), or null' })

const describeKey = (description: string) => messageUrl.openapi({ description })

/** PUT /v1/numbers/:id `messages`: Aircall's keys, public MP3 URLs; the service maps them to settings slots. */
export const updateMessagesSchema = z
  .strictObject({
    welcome: describeKey('Welcome message → settings.messages.welcome'),
    waiting: describeKey('Hold and transfer music → settings.messages.music_on_hold'),
    ringing_tone: describeKey('Not supported: only null (callers hear the ringback tone while agents ring)'),
    unanswered_call: describeKey('Nobody answered → settings.messages.unavailable'),
    after_hours: describeKey('Out of business hours → settings.messages.closed'),
    ivr: describeKey('IVR numbers: the menu → settings.messages.ivr_menu'),
    voicemail: describeKey('IVR numbers, deprecated: same as unanswered_call'),
    closed: describeKey('IVR numbers, deprecated: same as after_hours'),
    callback_later: describeKey('After * asked for a callback → settings.messages.callback_confirmation'),
  })
  .openapi('NumberMessagesUpdate')

export const updateNumberSchema = z
  .object({
    name: withoutNul(z.string().trim().min(1).max(100)).optional(),
    priority: z
      .union([z.literal(0), z.literal(1)])
      .nullable()
      .optional(),
    type: z.enum(['classic', 'ivr']).optional(),
    time_zone: z.string().max(64).optional(),
    availability_status: z
      .enum(['open', 'custom', 'closed'])
      .optional()
      .openapi({ description: 'Business hours mode: always open, custom slots, always closed' }),
    messages: updateMessagesSchema.optional(),
  })
  .openapi('UpdateNumber')

export const settingsEnvelope = z.object({ settings: numberSettingsSchema }).openapi('NumberSettingsEnvelope')

/** Bodies of the section PUTs. */
export const sectionBodies = {
  business_hours: businessHoursSchema,
  distribution: distributionSchema,
  ivr: ivrInputSchema,
  messages: messagesPatchSchema,
} as const

export const previewRequestSchema = z
  .object({
    from: z.string().min(1).max(40).openapi({ example: '+33 6 12 34 56 78' }),
    at: z
      .union([z.string().max(40), z.number().int().min(0)])
      .optional()
      .openapi({ description: 'ISO 8601 with a zone, or UNIX seconds; default now' }),
    digits: z
      .string()
      .regex(/^[0-9*#]{0,20}$/, 'keys 0-9, * and #, at most 20')
      .optional()
      .openapi({
        description: 'Key pressed at each IVR menu, in order ("" = none); * while waiting = callback',
      }),
    presence: z
      .record(z.string().regex(/^\d{1,10}$/, 'must be a user id'), z.enum(PREVIEW_PRESENCES))
      .optional()
      .openapi({
        description:
          'Per user id; default: what each user’s availability setting means at `at`. Declared: available, ' +
          'auto_in_hours, auto_out_of_hours, unavailable, offline. Live states of an available user, who ' +
          'is then waited for rather than rung: in_call, after_call_work (wrap-up), ringing (with another ' +
          'call), pending_tag (finishing a call, mandatory tag pending).',
      }),
  })
  .openapi('PreviewRequest')

export const previewResponseSchema = z
  .object({
    steps: z.array(
      z.object({
        at: z.string(),
        t: z.number().int().openapi({ description: 'Seconds since the call started' }),
        action: z.string(),
        detail: z.string(),
        users: z.array(z.object({ id: z.number().int(), name: z.string() })).optional(),
        timeout_sec: z.number().int().optional(),
      }),
    ),
    outcome: z
      .enum(['answered', 'voicemail', 'message', 'rejected', 'transferred', 'callback', 'abandoned'])
      .nullable(),
    missed_call_reason: z
      .enum([
        'out_of_opening_hours',
        'short_abandoned',
        'abandoned_in_ivr',
        'abandoned_in_classic',
        'no_available_agent',
        'agents_did_not_answer',
      ])
      .nullable(),
    ivr_keys: z.array(z.string()),
  })
  .openapi('RoutingPreview')

export const audioSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    size: z.number().int(),
    duration_sec: z.number().nullable(),
    url: z.string(),
    created_at: z.string(),
  })
  .openapi('NumberAudio')

export const referencesQuery = z.object({
  user_id: idParam().optional(),
  team_id: idParam().optional(),
})

export const referencesSchema = z
  .object({
    numbers: z.array(z.object({ id: z.number().int(), name: z.string(), fields: z.array(z.string()) })),
  })
  .openapi('NumberReferences')

export const ttsLanguagesSchema = z
  .object({
    languages: z.array(
      z.object({
        code: z.string().openapi({ example: 'fr-FR' }),
        name: z.string().openapi({ example: 'Français (France)' }),
        voices: z.array(
          z.object({
            id: z.string().openapi({ example: 'celine' }),
            name: z.string().openapi({ example: 'Céline' }),
            gender: z.enum(['female', 'male']),
            default: z.boolean().openapi({ description: 'The voice a message without `voice` gets' }),
          }),
        ),
      }),
    ),
  })
  .openapi('TtsLanguages')
