import { z } from '@hono/zod-openapi'
import { OFFICE_HOURS, weekdays } from '@switchboard/shared'
import type { NotificationPrefs, WorkingHours } from '../../db/schema/index.ts'
import { ISO_COUNTRIES } from '../account/countries.ts'

/**
 * Field rules of a user's profile (the dashboard's user settings screen), shared by the
 * route schemas (so a bad value answers 400 naming its field) and the services.
 */

/** The keys of working hours, Monday first: the same days as business hours. */
export const WEEKDAYS = weekdays
export type Weekday = (typeof WEEKDAYS)[number]

export const AVAILABILITY_STATUSES = ['available', 'custom', 'unavailable'] as const
/** Live states an agent may set themselves; in_call / after_call_work belong to the call engine. */
export const SELF_PRESENCES = ['available', 'do_not_disturb', 'offline'] as const
export const LIVE_AVAILABILITIES = [
  'available',
  'offline',
  'do_not_disturb',
  'in_call',
  'after_call_work',
] as const
export type LiveAvailability = (typeof LIVE_AVAILABILITIES)[number]

/** Used when a user has never set working hours ("Auto" then means office hours). */
export const DEFAULT_WORKING_HOURS: WorkingHours = OFFICE_HOURS

export const DEFAULT_NOTIFICATION_PREFS: NotificationPrefs = {
  voicemail_email: true,
  assigned_call_email: false,
  daily_summary: false,
}

export const MAX_WRAP_UP_SECONDS = 300

export function isValidTimeZone(tz: string): boolean {
  // Intl also takes offsets ("+01:00") on newer engines; the API promises IANA names only.
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/.test(tz)) return false
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

/** Canonical IETF tag ("fr-fr" → "fr-FR"), or null when it is not a well-formed tag. */
export function canonicalLanguage(tag: string): string | null {
  try {
    const [canonical] = Intl.getCanonicalLocales(tag)
    return canonical ?? null
  } catch {
    return null
  }
}

/** A country of ISO 3166-1 alpha-2: not ZZ, EU, UK or another reserved or user-assigned code. */
export const isCountryCode = (code: string) => ISO_COUNTRIES.has(code)

const timeOfDay = /^([01]\d|2[0-3]):[0-5]\d$/
const slotSchema = z
  .object({
    from: z.string().regex(timeOfDay, 'must be HH:MM (00:00–23:59)'),
    to: z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be HH:MM (00:00–24:00)'),
  })
  .refine((s) => s.from < s.to, { message: 'must be after from (slots cannot span midnight)', path: ['to'] })

const daySlots = z
  .array(slotSchema)
  .max(10)
  .superRefine((slots, ctx) => {
    const order = slots.map((s, i) => ({ ...s, i })).sort((a, b) => a.from.localeCompare(b.from))
    for (let k = 1; k < order.length; k++) {
      const prev = order[k - 1]!
      const cur = order[k]!
      if (cur.from < prev.to) {
        ctx.addIssue({ code: 'custom', message: `overlaps ${prev.from}–${prev.to}`, path: [cur.i] })
      }
    }
  })

const sortSlots = (slots: { from: string; to: string }[] | undefined) =>
  [...(slots ?? [])].sort((a, b) => a.from.localeCompare(b.from))

/** Per weekday, the slots (local time of the user's time zone) in which "Auto" makes them available. */
export const workingHoursInput = z
  .strictObject({
    monday: daySlots.optional(),
    tuesday: daySlots.optional(),
    wednesday: daySlots.optional(),
    thursday: daySlots.optional(),
    friday: daySlots.optional(),
    saturday: daySlots.optional(),
    sunday: daySlots.optional(),
  })
  .transform(
    (v): WorkingHours => ({
      monday: sortSlots(v.monday),
      tuesday: sortSlots(v.tuesday),
      wednesday: sortSlots(v.wednesday),
      thursday: sortSlots(v.thursday),
      friday: sortSlots(v.friday),
      saturday: sortSlots(v.saturday),
      sunday: sortSlots(v.sunday),
    }),
  )
  .openapi({
    description: 'Slots per weekday, HH:MM in the user time zone; a missing day has no slot',
    example: {
      monday: [
        { from: '09:00', to: '12:30' },
        { from: '14:00', to: '18:00' },
      ],
    },
  })

const slotsOutput = z.array(z.object({ from: z.string(), to: z.string() }))
export const workingHoursOutput = z
  .object({
    monday: slotsOutput,
    tuesday: slotsOutput,
    wednesday: slotsOutput,
    thursday: slotsOutput,
    friday: slotsOutput,
    saturday: slotsOutput,
    sunday: slotsOutput,
  })
  .openapi('WorkingHours')

export const notificationPrefsInput = z
  .strictObject({
    voicemail_email: z.boolean().optional(),
    assigned_call_email: z.boolean().optional(),
    daily_summary: z.boolean().optional(),
  })
  .openapi({ description: 'Email notifications; omitted keys keep their value' })

/** Ids are Postgres integers: a larger one is a bad value of the field, not a lookup. */
const MAX_ID = 2_147_483_647
/** A number of the company by id (checked by user-number-prefs.ts), or null to clear it. */
const numberRef = z.number().int().min(1).max(MAX_ID).nullable().optional()

/** Profile fields an admin may set on create and update (all optional). */
export const profileFields = {
  first_name: z.string().trim().max(100).optional(),
  last_name: z.string().trim().max(100).optional(),
  is_admin: z.boolean().optional(),
  availability_status: z.enum(AVAILABILITY_STATUSES).optional().openapi({
    description: 'available = always, custom = follows working_hours, unavailable = never',
  }),
  time_zone: z
    .string()
    .refine(isValidTimeZone, 'must be an IANA time zone such as Europe/Paris')
    .optional()
    .openapi({ example: 'Europe/Paris' }),
  language: z
    .string()
    .max(35)
    .transform((v, ctx) => {
      const c = canonicalLanguage(v)
      if (!c) {
        ctx.addIssue({ code: 'custom', message: 'must be an IETF language tag such as en-US' })
        return z.NEVER
      }
      return c
    })
    .optional()
    .openapi({ example: 'fr-FR' }),
  wrap_up_time: z.number().int().min(0).max(MAX_WRAP_UP_SECONDS).optional().openapi({
    description: 'After-call work, seconds (0–300)',
  }),
  extension: z
    .string()
    .regex(/^\d{3}$/, 'must be exactly 3 digits')
    .nullable()
    .optional()
    .openapi({
      description: '3 digits, unique in the company; assigned automatically on create when omitted',
    }),
  working_hours: workingHoursInput.optional(),
  forwarding_numbers: z
    .array(z.string().max(40))
    .max(5)
    .optional()
    .openapi({
      description: 'External numbers calls may be forwarded to; stored in E.164',
      example: ['+33176111111'],
    }),
  caller_id_number_id: numberRef.openapi({
    description:
      'Number shown to the external phone when a call is forwarded to it: any live number of the company; null shows the caller',
  }),
  default_number_id: numberRef.openapi({
    description:
      'Number the user calls out with by default: a live number the user is assigned to (distribution, team or outbound-only); null = none',
  }),
  default_country_prefix: z
    .string()
    .refine(isCountryCode, 'must be an ISO 3166-1 alpha-2 country code such as FR')
    .nullable()
    .optional()
    .openapi({ example: 'FR' }),
  ringtone: z
    .string()
    .regex(/^[a-z0-9_-]{1,40}$/, 'must be a ringtone name (a-z, 0-9, _ or -)')
    .optional()
    .openapi({ example: 'classic' }),
  notification_prefs: notificationPrefsInput.optional(),
}

export const emailField = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email('must be an email address'))
  .openapi({ example: 'jane@example.com' })

/** Minimum length only: length beats composition rules (NIST SP 800-63B); the cap bounds argon2 work. */
export const newPassword = z.string().min(10, 'must be at least 10 characters').max(256)

export const createUserInput = z
  .object({
    email: emailField,
    ...profileFields,
    team_ids: z
      .array(z.number().int().min(1).max(MAX_ID))
      .max(100)
      .optional()
      .openapi({ description: 'Teams of the company the invited user joins', example: [1, 2] }),
  })
  .openapi('CreateUser')
export const updateUserInput = z
  .object({ email: emailField.optional(), ...profileFields })
  .openapi('UpdateUser')
export type CreateUserInput = z.infer<typeof createUserInput>
export type UpdateUserInput = z.infer<typeof updateUserInput>
