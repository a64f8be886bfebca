/** Time is injected everywhere so tests can drive it; nothing in the hub calls Date.now() directly. */
export type Clock = { now(): Date }

export const systemClock: Clock = { now: () => new Date() }

export class FakeClock implements Clock {
  constructor(private current = new Date('2026-01-05T09:00:00Z')) {}
  now(): Date {
    return new Date(this.current)
  }
  set(date: Date): void {
    this.current = new Date(date)
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms)
  }
}
