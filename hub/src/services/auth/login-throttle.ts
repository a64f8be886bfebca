import { RetryLaterError } from '../../core/errors.ts'

const MINUTE = 60_000

/**
 * Failed sign-ins are counted three ways, each in a fixed 15-minute window from its first
 * failure. None of them lets someone lock a user out from where that user signs in:
 *
 * - per client address and email (10): guessing one account from one address. Only that
 *   address is refused, for that email: the account's owner elsewhere is not.
 * - per client address (100): one address trying many accounts (password spraying). Only that
 *   address is refused.
 * - per email (50), applied only to addresses the account never signed in from: guessing one
 *   account from many addresses. Its owner keeps signing in from any address they signed in
 *   from before (login_addresses); only new addresses wait for the window to end.
 *
 * The email is counted whether or not an account has it, so a 429 says nothing about which
 * emails exist. A correct password clears its address-and-email count. Counts live in this
 * process's memory (each web instance counts its own, like the embedded rate limiter).
 */
export const LOGIN_LIMITS = {
  addressAndEmail: { max: 10, windowMs: 15 * MINUTE },
  address: { max: 100, windowMs: 15 * MINUTE },
  emailFromNewAddresses: { max: 50, windowMs: 15 * MINUTE },
} as const

/** Entries per counter before ended windows are dropped, and the hard cap (oldest dropped first). */
const PRUNE_AT = 10_000
const HARD_CAP = 100_000

function createWindows(limit: { max: number; windowMs: number }) {
  const entries = new Map<string, { start: number; count: number }>()
  const live = (key: string, now: number) => {
    const entry = entries.get(key)
    if (entry && now - entry.start >= limit.windowMs) {
      entries.delete(key)
      return undefined
    }
    return entry
  }
  return {
    /** Seconds until the window ends when the limit is reached, else null. */
    blockedFor(key: string, now: number): number | null {
      const entry = live(key, now)
      if (!entry || entry.count < limit.max) return null
      return Math.max(1, Math.ceil((entry.start + limit.windowMs - now) / 1000))
    },
    add(key: string, now: number) {
      const entry = live(key, now)
      if (entry) {
        entry.count++
        return
      }
      entries.set(key, { start: now, count: 1 })
      if (entries.size > PRUNE_AT) {
        for (const [k, v] of entries) if (now - v.start >= limit.windowMs) entries.delete(k)
        // Map order is insertion order: the oldest windows go first.
        for (const k of entries.keys()) {
          if (entries.size <= HARD_CAP) break
          entries.delete(k)
        }
      }
    },
    clear(key: string) {
      entries.delete(key)
    },
  }
}

const tooMany = (seconds: number) =>
  new RetryLaterError('rate_limited', `Too many failed sign-ins; retry in ${seconds} s`, seconds)

export function createLoginThrottle() {
  const pairs = createWindows(LOGIN_LIMITS.addressAndEmail)
  const addresses = createWindows(LOGIN_LIMITS.address)
  const emails = createWindows(LOGIN_LIMITS.emailFromNewAddresses)
  const pairKey = (client: string, email: string) => `${client}\n${email}`
  return {
    /** Before any work: this address, and this address for this email, may still try. */
    checkAddress(client: string, email: string, now: Date) {
      const t = now.getTime()
      const wait = Math.max(
        addresses.blockedFor(client, t) ?? 0,
        pairs.blockedFor(pairKey(client, email), t) ?? 0,
      )
      if (wait > 0) throw tooMany(wait)
    },
    /** For an address none of the email's accounts signed in from: the email's own count. */
    checkEmailFromNewAddress(email: string, now: Date) {
      const wait = emails.blockedFor(email, now.getTime())
      if (wait !== null) throw tooMany(wait)
    },
    fail(client: string, email: string, now: Date) {
      const t = now.getTime()
      pairs.add(pairKey(client, email), t)
      addresses.add(client, t)
      emails.add(email, t)
    },
    succeed(client: string, email: string) {
      pairs.clear(pairKey(client, email))
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
