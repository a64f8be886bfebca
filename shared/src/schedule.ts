/**
 * Business hours and working hours: weekly slots in a time zone, plus exceptional periods
 * (holidays) that are checked first. Pure functions, no clock of their own.
 *
 * Conventions (documented in the API too):
 * - A slot is half-open in local wall time: 09:00–18:00 is open at 17:59:59 and closed at
 *   18:00:00. "24:00" ends a slot at midnight. A slot may not cross midnight: split it.
 * - Exceptional periods are given in the schedule's local wall time ("2026-12-24T18:00" to
 *   "2026-12-27T00:00", end exclusive) so "closed on Christmas Day" means the local day
 *   whatever the UTC offset.
 */

export const weekdays = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const
export type Weekday = (typeof weekdays)[number]

export type TimeSlot = { from: string; to: string }
export type WeeklySlots = Partial<Record<Weekday, TimeSlot[]>>

const OFFICE_DAY: TimeSlot[] = [{ from: '09:00', to: '18:00' }]
/**
 * Monday to Friday, 09:00–18:00: a user's working hours until they set their own ("Auto" then
 * means office hours), and the slots a new number's custom business hours start with.
 */
export const OFFICE_HOURS: Record<Weekday, TimeSlot[]> = {
  monday: OFFICE_DAY,
  tuesday: OFFICE_DAY,
  wednesday: OFFICE_DAY,
  thursday: OFFICE_DAY,
  friday: OFFICE_DAY,
  saturday: [],
  sunday: [],
}

export type ExceptionalPeriod<D = unknown> = {
  name: string
  /** Local wall time, `YYYY-MM-DDTHH:MM`, inclusive. */
  start: string
  /** Local wall time, `YYYY-MM-DDTHH:MM`, exclusive. */
  end: string
  /** Where calls go during the period; null = the closed path (closed message, voicemail). */
  destination?: D | null
}

export type BusinessHours<D = unknown> = {
  timeZone: string
  mode: 'always_open' | 'always_closed' | 'custom'
  weekly: WeeklySlots
  exceptions: ExceptionalPeriod<D>[]
}

export type LocalTime = {
  weekday: Weekday
  /** Minutes since local midnight. */
  minute: number
  /** `YYYY-MM-DDTHH:MM` local wall time. */
  stamp: string
}

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$|^24:00$/
const LOCAL_STAMP = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d$/

export function parseHHMM(value: string): number | null {
  if (!HHMM.test(value)) return null
  const [h, m] = value.split(':').map(Number)
  return h! * 60 + m!
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** Days in a month of the (proleptic) Gregorian calendar, month 1–12. */
function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  return month === 2 && leap ? 29 : MONTH_DAYS[month - 1]!
}

/** A real local wall time `YYYY-MM-DDTHH:MM`: the shape, and a day that exists (no 30 February). */
export function isLocalStamp(value: string): boolean {
  if (!LOCAL_STAMP.test(value)) return false
  const year = Number(value.slice(0, 4))
  const month = Number(value.slice(5, 7))
  const day = Number(value.slice(8, 10))
  return day <= daysInMonth(year, month)
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz })
    return true
  } catch {
    return false
  }
}

/** Problems with a weekly schedule, as `{ path, message }` (empty = valid). */
export function validateWeeklySlots(weekly: WeeklySlots): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = []
  for (const [day, slots] of Object.entries(weekly)) {
    if (!weekdays.includes(day as Weekday)) {
      problems.push({ path: day, message: 'unknown weekday' })
      continue
    }
    const ranges: [number, number, number][] = []
    ;(slots ?? []).forEach((slot, i) => {
      const from = parseHHMM(slot.from)
      const to = parseHHMM(slot.to)
      if (from === null || from === 24 * 60)
        problems.push({ path: `${day}.${i}.from`, message: 'must be HH:MM' })
      else if (to === null)
        problems.push({ path: `${day}.${i}.to`, message: 'must be HH:MM (24:00 for midnight)' })
      else if (to <= from) problems.push({ path: `${day}.${i}.to`, message: 'must be after from' })
      else ranges.push([from, to, i])
    })
    ranges.sort((a, b) => a[0] - b[0])
    for (let i = 1; i < ranges.length; i++) {
      if (ranges[i]![0] < ranges[i - 1]![1]) {
        problems.push({ path: `${day}.${ranges[i]![2]}`, message: 'overlaps another slot' })
      }
    }
  }
  return problems
}

// Offsets only change on quarter-hour boundaries, so one Intl call per zone per 15 minutes
// is enough; the router evaluates schedules on every call and this keeps it cheap.
const BUCKET_MS = 15 * 60 * 1000
const formatters = new Map<string, Intl.DateTimeFormat>()
const offsetCache = new Map<string, { bucket: number; offsetMs: number }>()

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
    formatters.set(timeZone, f)
  }
  return f
}

/** UTC offset of the zone at that instant, in ms (Paris in winter: +3,600,000). */
export function zoneOffsetMs(timeZone: string, at: Date): number {
  const t = at.getTime()
  const bucket = Math.floor(t / BUCKET_MS)
  const cached = offsetCache.get(timeZone)
  if (cached && cached.bucket === bucket) return cached.offsetMs
  const parts = formatterFor(timeZone).formatToParts(new Date(bucket * BUCKET_MS))
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value)
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'))
  const offsetMs = asUtc - bucket * BUCKET_MS
  offsetCache.set(timeZone, { bucket, offsetMs })
  return offsetMs
}

const pad = (n: number) => (n < 10 ? `0${n}` : String(n))
// Date#getUTCDay: 0 = Sunday.
const BY_UTC_DAY: Weekday[] = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday']

export function localTime(timeZone: string, at: Date): LocalTime {
  const local = new Date(at.getTime() + zoneOffsetMs(timeZone, at))
  const minute = local.getUTCHours() * 60 + local.getUTCMinutes()
  return {
    weekday: BY_UTC_DAY[local.getUTCDay()]!,
    minute,
    stamp: `${local.getUTCFullYear()}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`,
  }
}

export function inWeeklySlots(weekly: WeeklySlots, local: LocalTime): boolean {
  const slots = weekly[local.weekday]
  if (!slots) return false
  for (const slot of slots) {
    const from = parseHHMM(slot.from)
    const to = parseHHMM(slot.to)
    if (from !== null && to !== null && local.minute >= from && local.minute < to) return true
  }
  return false
}

/**
 * The one working-hours evaluator (business hours' weekly slots and users' working hours
 * alike): whether `at`, read on the wall clock of `timeZone`, falls in one of the day's slots
 * (from inclusive, to exclusive). Arguments in the order of scheduleState: the schedule, then
 * the instant.
 */
export function withinWeeklySlots(weekly: WeeklySlots, timeZone: string, at: Date): boolean {
  return inWeeklySlots(weekly, localTime(timeZone, at))
}

/** A user's working hours at `at`: their own slots, or office hours when they never set any. */
export function withinWorkingHours(hours: WeeklySlots | null, timeZone: string, at: Date): boolean {
  return withinWeeklySlots(hours ?? OFFICE_HOURS, timeZone, at)
}

export type ScheduleState<D> = { open: boolean; exception: ExceptionalPeriod<D> | null }

/** Open or closed at that instant; an active exceptional period wins over everything else. */
export function scheduleState<D>(hours: BusinessHours<D>, at: Date): ScheduleState<D> {
  if (hours.exceptions.length > 0 || hours.mode === 'custom') {
    const local = localTime(hours.timeZone, at)
    for (const ex of hours.exceptions) {
      if (local.stamp >= ex.start && local.stamp < ex.end) return { open: false, exception: ex }
    }
    if (hours.mode === 'custom') return { open: inWeeklySlots(hours.weekly, local), exception: null }
  }
  return { open: hours.mode === 'always_open', exception: null }
}

/**
 * The next instant (to the minute) after `from` when open/closed flips, looking at most
 * `horizonDays` ahead; null if it never flips in that horizon. Used to schedule the
 * number.opened / number.closed events.
 */
export function nextScheduleChange<D>(hours: BusinessHours<D>, from: Date, horizonDays = 8): Date | null {
  const initial = scheduleState(hours, from).open
  const start = Math.floor(from.getTime() / 60_000) * 60_000 + 60_000
  const end = from.getTime() + horizonDays * 86_400_000
  for (let t = start; t <= end; t += 60_000) {
    if (scheduleState(hours, new Date(t)).open !== initial) return new Date(t)
  }
  return null
}
