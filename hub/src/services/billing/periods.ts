/**
 * Billing periods are calendar months in UTC, named `YYYY-MM`. Days are UTC days: a number
 * taken at 23:30 in Paris on the 31st is, for billing, taken on the 31st's UTC day.
 */
export const DAY_MS = 24 * 60 * 60 * 1000

const PERIOD = /^(\d{4})-(0[1-9]|1[0-2])$/

export type Period = { id: string; year: number; month: number; start: Date; end: Date; days: number }

export function isPeriod(value: string): boolean {
  return PERIOD.test(value)
}

/** Start (inclusive) and end (exclusive) of a `YYYY-MM` period. */
export function parsePeriod(id: string): Period {
  const m = PERIOD.exec(id)
  if (!m) throw new Error(`not a billing period: ${JSON.stringify(id)} (expected YYYY-MM)`)
  const year = Number(m[1])
  const month = Number(m[2])
  const start = new Date(Date.UTC(year, month - 1, 1))
  const end = new Date(Date.UTC(year, month, 1))
  return { id, year, month, start, end, days: Math.round((end.getTime() - start.getTime()) / DAY_MS) }
}

export function periodOf(instant: Date): string {
  return `${instant.getUTCFullYear()}-${String(instant.getUTCMonth() + 1).padStart(2, '0')}`
}

export function shiftPeriod(id: string, months: number): string {
  const { year, month } = parsePeriod(id)
  return periodOf(new Date(Date.UTC(year, month - 1 + months, 1)))
}

/** When the monthly invoice run fires: the 1st of a month at 00:05 UTC. */
export function runInstantOfMonth(id: string): Date {
  const { start } = parsePeriod(id)
  return new Date(start.getTime() + 5 * 60 * 1000)
}

const floorDay = (d: Date) => Math.floor(d.getTime() / DAY_MS) * DAY_MS
const ceilDay = (d: Date) => Math.ceil(d.getTime() / DAY_MS) * DAY_MS

/**
 * Days of the period during which something live on [from, until) existed, counting every
 * UTC day it was live for any part of (as carriers bill a number: the day it is taken and
 * the day it is released are both billed). until = null: still live.
 */
export function billableDays(period: Period, from: Date, until: Date | null): number {
  const first = Math.max(period.start.getTime(), floorDay(from))
  const lastExclusive = Math.min(period.end.getTime(), until ? ceilDay(until) : period.end.getTime())
  if (until && until.getTime() <= from.getTime()) return 0
  return lastExclusive > first ? Math.round((lastExclusive - first) / DAY_MS) : 0
}

/** monthly × days / daysInPeriod, rounded half up to the minor unit; integers only. */
export function prorate(monthlyMinor: number, days: number, daysInPeriod: number): number {
  return Math.floor((monthlyMinor * days * 2 + daysInPeriod) / (daysInPeriod * 2))
}
