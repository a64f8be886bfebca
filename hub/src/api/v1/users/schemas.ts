import { z } from '@hono/zod-openapi'
import {
  AVAILABILITY_STATUSES,
  LIVE_AVAILABILITIES,
  workingHoursOutput,
} from '../../../services/users/user-fields.ts'
import { idParam, json } from '../../openapi.ts'

export const userSchema = z
  .object({
    id: z.number().int(),
    direct_link: z.string().openapi({ example: 'https://hub.example.com/v1/users/42' }),
    name: z.string(),
    email: z.string(),
    created_at: z.string().openapi({ description: 'ISO 8601' }),
    available: z
      .boolean()
      .openapi({ description: 'What availability_status and working hours say right now' }),
    availability_status: z.enum(AVAILABILITY_STATUSES),
    substatus: z.string().nullable(),
    numbers: z
      .array(
        z
          .object({
            id: z.number().int(),
            direct_link: z.string(),
            name: z.string(),
            digits: z.string(),
            created_at: z.string(),
            country: z.string(),
            time_zone: z.string(),
            open: z.boolean(),
            availability_status: z.enum(['open', 'custom', 'closed']),
            is_ivr: z.boolean(),
            live_recording_activated: z.boolean(),
            priority: z.number().int().nullable(),
            messages: z.record(z.string(), z.string().nullable()),
          })
          .openapi('UserNumber'),
      )
      .openapi({
        description:
          'Numbers the user is assigned to (distribution, their teams, outbound-only), as Aircall nests them',
      }),
    time_zone: z.string(),
    language: z.string(),
    wrap_up_time: z.number().int(),
    first_name: z.string(),
    last_name: z.string(),
    is_admin: z.boolean(),
    extension: z.string().nullable(),
    working_hours: workingHoursOutput,
    forwarding_numbers: z.array(z.string()),
    caller_id_number_id: z.number().int().nullable(),
    default_number_id: z.number().int().nullable(),
    default_country_prefix: z.string().nullable(),
    ringtone: z.string(),
    notification_prefs: z.object({
      voicemail_email: z.boolean(),
      assigned_call_email: z.boolean(),
      daily_summary: z.boolean(),
    }),
    invitation_status: z.enum(['pending', 'accepted']),
  })
  .openapi('User')

/** A user as other resources nest it (a team's members, a number's users). */
export const nestedUserFields = {
  id: z.number().int(),
  direct_link: z.string(),
  name: z.string(),
  email: z.string(),
  available: z.boolean(),
  availability_status: z.enum(AVAILABILITY_STATUSES),
}

export const liveAvailabilitySchema = z.enum(LIVE_AVAILABILITIES).openapi('LiveAvailability')

/** `:id` of the users routes: the numeric id or the email address. */
export const userIdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(254)
    .openapi({
      param: { name: 'id', in: 'path' },
      description: 'Numeric id or email address',
      example: '42',
    }),
})

/** A numeric path id that fits the database's integer ids (anything else is a 400, never a 500). */
export const numericIdParam = z.object({
  id: idParam().openapi({ param: { name: 'id', in: 'path' }, example: 1 }),
})

/** A refusal (405): the request is well formed but not allowed in this state. */
export const notAllowed = (description: string) => json(z.object({ message: z.string() }), description)
