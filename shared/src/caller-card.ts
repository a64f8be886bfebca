import { z } from 'zod'

/**
 * The caller card: who is calling, from the company's CRMs, its recent calls with that number
 * and the caller's local weather and time. The hub sends it to ringing agents over the realtime
 * channel (`call.caller_card`) and serves it at `GET /v1/caller_info?phone_number=…` (snake_case,
 * like the rest of the API). Every part is optional: a CRM that did not answer in time is listed
 * in `sources` with its error and the card shows what the others gave.
 */

/** Links an agent's app opens: web pages only (never `javascript:` or `data:` URLs). */
const webLink = z.url({ protocol: /^https?$/ }).max(2048)

export const crmSlugSchema = z.enum(['hubspot', 'salesforce', 'zendesk', 'dynamics'])
export type CrmSlug = z.infer<typeof crmSlugSchema>

/** One CRM record the number matched. */
export const callerRecordSchema = z.object({
  integration_id: z.number().int(),
  /** The integration's name, as the admin gave it ("HubSpot EMEA"). */
  integration_name: z.string(),
  crm: crmSlugSchema,
  id: z.string(),
  type: z.enum(['contact', 'lead', 'account']),
  name: z.string(),
  email: z.string().nullable(),
  /** The account / company the record belongs to, by name when the CRM gave it. */
  company: z.string().nullable(),
  /** The record's owner in the CRM, when known. */
  owner: z.string().nullable(),
  /** The record's page in the CRM. */
  url: webLink.nullable(),
})
export type CallerRecord = z.infer<typeof callerRecordSchema>

/** A recent call of the company with this number. */
export const callerRecentCallSchema = z.object({
  id: z.number().int(),
  direction: z.enum(['inbound', 'outbound']),
  /** answered, missed (inbound not answered), voicemail, unanswered (outbound). */
  outcome: z.enum(['answered', 'missed', 'voicemail', 'unanswered']),
  /** Unix seconds, like Aircall's call timestamps. */
  started_at: z.number().int(),
  /** Seconds, 0 when not answered. */
  duration: z.number().int(),
  /** Who took or placed it. */
  user_name: z.string().nullable(),
})
export type CallerRecentCall = z.infer<typeof callerRecentCallSchema>

/** Where the number is from (area code → place), and the time there. */
export const callerLocationSchema = z.object({
  /** ISO 3166-1 alpha-2. */
  country: z.string().length(2),
  /** City or region the area code belongs to; null when only the country is known. */
  place: z.string().nullable(),
  /** IANA zone, e.g. "Europe/Paris". */
  time_zone: z.string().nullable(),
  /** The local time there when the card was made, "HH:MM" (24 h); null without a zone. */
  local_time: z.string().nullable(),
  /** Offset from UTC in minutes, for a client that keeps the clock running. */
  utc_offset_minutes: z.number().int().nullable(),
})
export type CallerLocation = z.infer<typeof callerLocationSchema>

export const callerWeatherSchema = z.object({
  temperature_c: z.number(),
  /** Plain words, in English: "Light rain". */
  conditions: z.string(),
  /** WMO weather code, for an icon. */
  code: z.number().int(),
  /** Unix seconds of the observation. */
  observed_at: z.number().int(),
})
export type CallerWeather = z.infer<typeof callerWeatherSchema>

export const callerCardSchema = z.object({
  /** E.164, or "anonymous". */
  phone_number: z.string(),
  /** The best record's name, else the company's own contact's, else null. */
  name: z.string().nullable(),
  company: z.string().nullable(),
  records: z.array(callerRecordSchema),
  recent_calls: z.array(callerRecentCallSchema),
  /** Null when the number's place is unknown ("unknown location"). */
  location: callerLocationSchema.nullable(),
  /** Null when the place or the weather is unknown, or the weather app is off. */
  weather: callerWeatherSchema.nullable(),
  /** Each linked CRM asked, and whether it answered in time. */
  sources: z.array(
    z.object({
      integration_id: z.number().int(),
      crm: crmSlugSchema,
      ok: z.boolean(),
      /** Why not, in words, when ok is false ("timed out", "needs reconnecting"). */
      error: z.string().nullable(),
    }),
  ),
})
export type CallerCard = z.infer<typeof callerCardSchema>
