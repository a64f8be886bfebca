import { describe, expect, it } from 'vitest'
import { isAvailableNow, liveAvailability, withinWorkingHours } from './availability.ts'
import { DEFAULT_WORKING_HOURS } from './user-fields.ts'

const hours = { ...DEFAULT_WORKING_HOURS, sunday: [{ from: '10:00', to: '11:00' }] }

describe('working hours', () => {
  it('includes a slot start and excludes its end', () => {
    expect(withinWorkingHours(hours, 'Europe/Paris', new Date('2026-03-29T08:00:00Z'))).toBe(true) // 10:00
    expect(withinWorkingHours(hours, 'Europe/Paris', new Date('2026-03-29T08:59:00Z'))).toBe(true) // 10:59
    expect(withinWorkingHours(hours, 'Europe/Paris', new Date('2026-03-29T09:00:00Z'))).toBe(false) // 11:00
    expect(withinWorkingHours(null, 'Etc/UTC', new Date('2026-03-02T17:59:00Z'))).toBe(true) // default Mon 9–18
    expect(withinWorkingHours(null, 'Etc/UTC', new Date('2026-03-07T12:00:00Z'))).toBe(false) // Saturday
  })

  it('derives available and the live availability', () => {
    const base = {
      workingHours: hours,
      timeZone: 'Europe/Paris',
      presence: 'available' as const,
      doNotDisturb: false,
      forwardingNumbers: [],
    }
    const night = new Date('2026-03-02T23:00:00Z')
    expect(isAvailableNow({ ...base, availabilityStatus: 'available' }, night)).toBe(true)
    expect(isAvailableNow({ ...base, availabilityStatus: 'custom' }, night)).toBe(false)
    expect(liveAvailability({ ...base, availabilityStatus: 'custom' }, night)).toBe('do_not_disturb')
    expect(liveAvailability({ ...base, availabilityStatus: 'unavailable', presence: 'in_call' }, night)).toBe(
      'in_call',
    )
    expect(liveAvailability({ ...base, availabilityStatus: 'available', presence: 'offline' }, night)).toBe(
      'offline',
    )
  })

  it('counts external forwarding as a device: online with no app, the declared status still applies', () => {
    const base = {
      workingHours: hours,
      timeZone: 'Europe/Paris',
      presence: 'offline' as const,
      doNotDisturb: false,
      availabilityStatus: 'custom' as const,
      forwardingNumbers: ['+33698765432'],
    }
    const monday = new Date('2026-03-02T10:00:00Z')
    const night = new Date('2026-03-02T23:00:00Z')
    expect(liveAvailability(base, monday)).toBe('available')
    expect(liveAvailability(base, night)).toBe('do_not_disturb')
    expect(liveAvailability({ ...base, doNotDisturb: true }, monday)).toBe('do_not_disturb')
    expect(liveAvailability({ ...base, forwardingNumbers: [] }, monday)).toBe('offline')
    // What the apps or the engine set wins over the phone: in a call is in a call.
    expect(liveAvailability({ ...base, presence: 'in_call' }, monday)).toBe('in_call')
  })
})
