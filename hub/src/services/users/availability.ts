import { withinWorkingHours } from '@switchboard/shared'
import type { WorkingHours } from '../../db/schema/index.ts'
import { forwardsCalls } from '../../telephony/engine/forwarding.ts'
import type { LiveAvailability } from './user-fields.ts'

/** Working hours are evaluated by the schedule's one evaluator (shared/src/schedule.ts). */
export { withinWorkingHours }

type AvailabilityFields = {
  availabilityStatus: 'available' | 'custom' | 'unavailable'
  workingHours: WorkingHours | null
  timeZone: string
  presence: LiveAvailability
  doNotDisturb: boolean
  forwardingNumbers: string[]
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
 * The user's presence as the product shows it. The `presence` column is what their apps made
 * it (the realtime channel: online while a client is connected, then a grace period); external
 * forwarding is a device too (telephony/engine/forwarding.ts), so a user with forwarding on
 * and no app open is online all the same: available, or do_not_disturb while they hold DND.
 * Derived here rather than stored: forwarding_numbers is the one record of it, and turning it
 * off needs no cleanup.
 */
export function effectivePresence(
  user: Pick<AvailabilityFields, 'presence' | 'doNotDisturb' | 'forwardingNumbers'>,
): LiveAvailability {
  if (user.presence !== 'offline' || !forwardsCalls(user)) return user.presence
  return user.doNotDisturb ? 'do_not_disturb' : 'available'
}

/**
 * The live availability the API reports (and the router should use): the effective presence,
 * except that a user the admin setting makes unavailable right now (unavailable, or Auto
 * outside working hours) shows as do_not_disturb rather than available.
 */
export function liveAvailability(user: AvailabilityFields, now: Date): LiveAvailability {
  const presence = effectivePresence(user)
  if (presence === 'available' && !isAvailableNow(user, now)) return 'do_not_disturb'
  return presence
}
