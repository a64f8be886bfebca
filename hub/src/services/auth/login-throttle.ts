import { DomainError } from '../../core/errors.ts'

export const LOGIN_MAX_FAILURES = 10
export const LOGIN_WINDOW_MS = 15 * 60_000

/**
 * Slows password guessing: after LOGIN_MAX_FAILURES wrong passwords for one email within
 * LOGIN_WINDOW_MS, logins for that email answer 429 until the window ends. Kept in this
 * process's memory (per app instance), like the API rate limiter; a correct password resets it.
 * The key is the email whether or not such a user exists, so the 429 reveals nothing either.
 */
export function createLoginThrottle() {
  const failures = new Map<string, { start: number; count: number }>()
  return {
    check(key: string, now: Date) {
      const entry = failures.get(key)
      if (!entry) return
      const retryAt = entry.start + LOGIN_WINDOW_MS
      if (now.getTime() >= retryAt) {
        failures.delete(key)
        return
      }
      if (entry.count >= LOGIN_MAX_FAILURES) {
        const seconds = Math.ceil((retryAt - now.getTime()) / 1000)
        throw new DomainError('rate_limited', `Too many failed logins for this email; retry in ${seconds} s`)
      }
    },
    fail(key: string, now: Date) {
      const entry = failures.get(key)
      if (!entry || now.getTime() - entry.start >= LOGIN_WINDOW_MS) {
        failures.set(key, { start: now.getTime(), count: 1 })
        // Bound the map: forget windows that have ended whenever it grows large.
        if (failures.size > 10_000) {
          for (const [k, v] of failures) if (now.getTime() - v.start >= LOGIN_WINDOW_MS) failures.delete(k)
        }
      } else entry.count++
    },
    reset(key: string) {
      failures.delete(key)
    },
  }
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>

const perApp = new WeakMap<object, LoginThrottle>()
/** One throttle per app instance (keyed by its deps object), so test hubs do not share state. */
export function loginThrottleFor(owner: object): LoginThrottle {
  let t = perApp.get(owner)
  if (!t) {
    t = createLoginThrottle()
    perApp.set(owner, t)
  }
  return t
}
