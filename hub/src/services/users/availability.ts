import { withinWorkingHours } from '@switchboard/shared'
import type { WorkingHours } from '../../db/schema/index.ts'
import type { LiveAvailability } from './user-fields.ts'

/** Working hours are evaluated by the schedule's one evaluator (shared/src/schedule.ts). */
export { withinWorkingHours }

type AvailabilityFields = {
  availabilityStatus: 'available' | 'custom' | 'unavailable'
  workingHours: WorkingHours | null
  timeZone: string
  presence: LiveAvailability
}

/**
 * Aircall's `available` boolean: what the admin setting says right now. "available" always,
 * "unavailable" never, "custom" (Auto) inside the user's working hours in their time zone.
 */
export function isAvailableNow(user: Omit<AvailabilityFields, 'presence'>, now: Date): boolean {
  switch (user.availabilityStatus) {
    case 'available':
      return true
    case 'unavailable':
      return false
    case 'custom':
      return withinWorkingHours(user.workingHours, user.timeZone, now)
  }
}

/**
 * The live availability the API reports (and the router should use): the presence the apps
 * and the call engine set, except that a user the admin setting makes unavailable right now
 * (unavailable, or Auto outside working hours) shows as do_not_disturb rather than available.
 */
export function liveAvailability(user: AvailabilityFields, now: Date): LiveAvailability {
  if (user.presence === 'available' && !isAvailableNow(user, now)) return 'do_not_disturb'
  return user.presence
}
