import { describe, expect, it } from 'vitest'
import { isLocalStamp, localTime, scheduleState, withinWeeklySlots } from './schedule.ts'

describe('isLocalStamp', () => {
  const cases: [string, boolean][] = [
    ['2026-12-24T18:00', true],
    ['2026-01-31T00:00', true],
    ['2026-04-30T23:59', true],
    ['2026-02-28T00:00', true],
    ['2028-02-29T00:00', true], // leap year
    ['2000-02-29T12:00', true], // divisible by 400: leap
    ['2026-02-29T00:00', false], // not a leap year
    ['2100-02-29T00:00', false], // divisible by 100, not 400: not leap
    ['2026-02-30T00:00', false],
    ['2026-02-31T00:00', false],
    ['2026-04-31T00:00', false],
    ['2026-06-31T09:00', false],
    ['2026-09-31T09:00', false],
    ['2026-11-31T09:00', false],
    ['2026-00-10T09:00', false],
    ['2026-13-01T09:00', false],
    ['2026-12-00T09:00', false],
    ['2026-12-32T09:00', false],
    ['2026-12-24T24:00', false],
    ['2026-12-24T18:60', false],
    ['2026-12-24 18:00', false],
    ['2026-12-24T18:00:00', false],
    ['24/12/2026', false],
    ['', false],
  ]
  for (const [value, valid] of cases) {
    it(`${JSON.stringify(value)} is ${valid ? 'a' : 'not a'} local stamp`, () => {
      expect(isLocalStamp(value)).toBe(valid)
    })
  }
})

describe('scheduleState with exceptional periods', () => {
  const hours = {
    timeZone: 'Europe/Paris',
    mode: 'always_open' as const,
    weekly: {},
    exceptions: [{ name: 'Leap day', start: '2028-02-29T00:00', end: '2028-03-01T00:00', destination: null }],
  }
  it('is closed inside the period (local wall time, end exclusive) and open around it', () => {
    expect(scheduleState(hours, new Date('2028-02-28T22:59:00Z')).open).toBe(true) // 23:59 Paris
    expect(scheduleState(hours, new Date('2028-02-28T23:00:00Z'))).toMatchObject({ open: false })
    expect(scheduleState(hours, new Date('2028-02-29T22:59:00Z')).exception?.name).toBe('Leap day')
    expect(scheduleState(hours, new Date('2028-02-29T23:00:00Z')).open).toBe(true) // 1 March 00:00 Paris
  })
})

describe('localTime and withinWeeklySlots (business hours and working hours alike)', () => {
  it('reads the wall clock of the time zone, daylight saving included', () => {
    // Paris moves to summer time on Sunday 2026-03-29 at 02:00 local.
    expect(localTime('Europe/Paris', new Date('2026-03-29T08:30:00Z'))).toMatchObject({
      weekday: 'sunday',
      stamp: '2026-03-29T10:30',
    })
    expect(localTime('Europe/Paris', new Date('2026-03-28T08:30:00Z'))).toMatchObject({
      weekday: 'saturday',
      stamp: '2026-03-28T09:30',
    })
    expect(localTime('America/New_York', new Date('2026-03-02T23:30:00Z'))).toMatchObject({
      weekday: 'monday',
      stamp: '2026-03-02T18:30',
    })
    expect(localTime('Etc/UTC', new Date('2026-03-02T00:00:00Z'))).toMatchObject({
      weekday: 'monday',
      minute: 0,
    })
  })

  it('includes a slot start, excludes its end, and ends a 24:00 slot at midnight', () => {
    const weekly = { sunday: [{ from: '10:00', to: '11:00' }], monday: [{ from: '22:00', to: '24:00' }] }
    expect(withinWeeklySlots(weekly, 'Europe/Paris', new Date('2026-03-29T08:00:00Z'))).toBe(true) // 10:00
    expect(withinWeeklySlots(weekly, 'Europe/Paris', new Date('2026-03-29T08:59:00Z'))).toBe(true) // 10:59
    expect(withinWeeklySlots(weekly, 'Europe/Paris', new Date('2026-03-29T09:00:00Z'))).toBe(false) // 11:00
    expect(withinWeeklySlots(weekly, 'Etc/UTC', new Date('2026-03-02T23:59:00Z'))).toBe(true) // Monday 23:59
    expect(withinWeeklySlots(weekly, 'Etc/UTC', new Date('2026-03-03T00:00:00Z'))).toBe(false) // Tuesday 00:00
  })
})
