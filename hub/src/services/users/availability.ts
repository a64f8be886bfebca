import type { WorkingHours } from '../../db/schema/index.ts'
import { DEFAULT_WORKING_HOURS, type LiveAvailability, WEEKDAYS, type Weekday } from './user-fields.ts'

type AvailabilityFields = {
  availabilityStatus: 'available' | 'custom' | 'unavailable'
  workingHours: WorkingHours | null
  timeZone: string
  presence: LiveAvailability
}

const formatters = new Map<string, Intl.DateTimeFormat>()
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      weekday: 'long',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
    formatters.set(timeZone, f)
  }
  return f
}

/** Weekday and HH:MM of an instant on the wall clock of a time zone. */
export function localTime(now: Date, timeZone: string): { day: Weekday; time: string } {
  const parts = formatterFor(timeZone).formatToParts(now)
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
  const weekday = get('weekday').toLowerCase()
  const day = WEEKDAYS.find((d) => d === weekday) ?? 'monday'
  return { day, time: `${get('hour')}:${get('minute')}` }
}

/** Whether a local instant falls in one of the day's slots (from inclusive, to exclusive). */
export function withinWorkingHours(hours: WorkingHours | null, timeZone: string, now: Date): boolean {
  const { day, time } = localTime(now, timeZone)
  return (hours ?? DEFAULT_WORKING_HOURS)[day].some((s) => s.from <= time && time < s.to)
}

/**
 * Aircall's `available` boolean: what the admin setting says right now. "available" always,
 * "unavailable" never, "custom" (Auto) inside the user's working hours in their time zone.
 */
export function isAvailableNow(user: AvailabilityFields, now: Date): boolean {
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
