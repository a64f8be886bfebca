import type { Links } from '../../core/links.ts'
import type { users } from '../../db/schema/index.ts'
import { isAvailableNow } from './availability.ts'
import { DEFAULT_NOTIFICATION_PREFS, DEFAULT_WORKING_HOURS } from './user-fields.ts'

export type UserRow = typeof users.$inferSelect

export const fullName = (u: Pick<UserRow, 'firstName' | 'lastName'>) => `${u.firstName} ${u.lastName}`.trim()

/** Aircall's substatus: the stored reason, else what the admin setting implies. */
function substatusOf(u: UserRow): string | null {
  if (u.substatus) return u.substatus
  if (u.availabilityStatus === 'available') return 'always_opened'
  if (u.availabilityStatus === 'unavailable') return 'always_closed'
  return null
}

/**
 * The line the user calls out with (the profile's "numéro par défaut"): the number they chose
 * while they are assigned to it; once they are not (taken off its distribution, out of its
 * team), the first number they have that can place calls (`lines`, in id order), or none. The
 * choice is kept: assigned to it again, the user calls out with it again. Not chosen: none.
 * Without `lines` (not loaded), the choice as stored.
 */
export function defaultNumberOf(chosen: number | null, lines?: readonly number[]): number | null {
  if (chosen === null || lines === undefined || lines.includes(chosen)) return chosen
  return lines[0] ?? null
}

/**
 * A user as the API returns it (and as user.* events carry it): Aircall's v1 User object
 * followed by our profile fields. `numbers`: the numbers the user is assigned to, as
 * numbersOfUsers (services/numbers/user-numbers.ts) shapes them; empty for a user just created.
 * Generic in that shape, so that users do not depend on numbers (numbers nest users already).
 */
export function toUserJson<N = never>(
  u: UserRow,
  links: Links,
  now: Date,
  numbers: N[] = [],
  /** The ids of the user's numbers that can place calls (numbersOfUsers' `lines`), for the default number's fallback. */
  lines?: readonly number[],
) {
  return {
    id: u.id,
    direct_link: links.user(u.id),
    name: fullName(u),
    email: u.email,
    created_at: u.createdAt.toISOString(),
    available: isAvailableNow(u, now),
    availability_status: u.availabilityStatus,
    substatus: substatusOf(u),
    numbers,
    time_zone: u.timeZone,
    language: u.language,
    wrap_up_time: u.wrapUpTime,
    first_name: u.firstName,
    last_name: u.lastName,
    is_admin: u.role === 'admin',
    extension: u.extension,
    working_hours: u.workingHours ?? DEFAULT_WORKING_HOURS,
    forwarding_numbers: u.forwardingNumbers,
    caller_id_number_id: u.callerIdNumberId,
    default_number_id: defaultNumberOf(u.defaultNumberId, lines),
    default_country_prefix: u.defaultCountryPrefix,
    ringtone: u.ringtone,
    notification_prefs: { ...DEFAULT_NOTIFICATION_PREFS, ...u.notificationPrefs },
    invitation_status: u.invitationAcceptedAt ? ('accepted' as const) : ('pending' as const),
  }
}

export type UserJson = ReturnType<typeof toUserJson>
