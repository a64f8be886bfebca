import type { Actor } from '../../core/actor.ts'

/**
 * Credentials verified a moment ago (an API key, a session or agent token), so that the
 * requests that follow need neither a hash nor a database round trip. Keyed by the request's
 * whole Authorization header: a hit means the very same secret was verified within TTL_MS;
 * a wrong secret never matches, and refusals are never cached (so guessing cannot fill it).
 *
 * Revocation safety:
 * - Every entry lives TTL_MS at most: whatever changed in the database is seen within that
 *   time, by every hub process (each has its own cache).
 * - invalidateCredentials(scope), called by the code that revokes keys or tokens, or changes
 *   what an actor is (a user's role, a deleted user), drops the matching entries of this
 *   process at once, and keeps that scope out of the cache for TTL_MS. It may run before or
 *   after the revoking transaction commits: a lookup that read the row before the commit
 *   cannot put it back in the cache.
 * - Session expiry is checked on every hit against the hub's clock.
 *
 * Bounded (MAX_ENTRIES, oldest dropped first): one company with many live tokens can only cost
 * the others a re-verification, never memory.
 */
export const CREDENTIAL_TTL_MS = 5_000
const MAX_ENTRIES = 10_000
/** Past this many recent invalidations the cache stops storing until they age out (a safe overload mode). */
const MAX_RECENT_INVALIDATIONS = 1_000

/** What a revocation concerns: a whole company, or narrower (a user, one key, one token). */
export type CredentialScope = {
  companyId: number
  userId?: number
  apiKeyId?: number
  tokenId?: number
}

export type VerifiedCredential = {
  actor: Actor
  /** A session's end (hub clock); null for API keys and agent tokens. */
  expiresAt: Date | null
  /** Last write of last_used_at (hub clock): it is written at most once a minute. */
  lastUsedAt: Date | null
}

type Entry = VerifiedCredential & { storedAt: number }

/** Whether a revocation of `scope` concerns this actor. */
export function scopeMatches(scope: CredentialScope, actor: Actor): boolean {
  if (scope.companyId !== actor.companyId) return false
  if (scope.apiKeyId !== undefined && (actor.type !== 'api_key' || actor.apiKeyId !== scope.apiKeyId)) {
    return false
  }
  if (scope.userId !== undefined && (actor.type !== 'user' || actor.userId !== scope.userId)) return false
  if (scope.tokenId !== undefined && (actor.type !== 'user' || actor.tokenId !== scope.tokenId)) return false
  return true
}

export class CredentialCache {
  private readonly entries = new Map<string, Entry>()
  private recent: { scope: CredentialScope; at: number }[] = []
  private readonly listeners = new Set<(scope: CredentialScope) => void>()

  constructor(
    private readonly ttlMs = CREDENTIAL_TTL_MS,
    private readonly maxEntries = MAX_ENTRIES,
    /** Real (monotonic) time: how long an entry may be trusted, whatever the hub's business clock says. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  get(key: string): VerifiedCredential | undefined {
    const entry = this.entries.get(key)
    if (!entry) return undefined
    if (this.now() - entry.storedAt >= this.ttlMs) {
      this.entries.delete(key)
      return undefined
    }
    return entry
  }

  /**
   * Stores what a lookup that started at `lookupStartedAt` (this cache's time: startLookup())
   * verified, unless a matching invalidation happened within TTL_MS or the lookup took that long.
   */
  set(key: string, value: VerifiedCredential, lookupStartedAt: number): void {
    const now = this.now()
    if (now - lookupStartedAt >= this.ttlMs) return
    this.recent = this.recent.filter((r) => now - r.at < this.ttlMs)
    if (this.recent.length >= MAX_RECENT_INVALIDATIONS) return
    if (this.recent.some((r) => scopeMatches(r.scope, value.actor))) return
    this.entries.delete(key)
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next()
      if (!oldest.done) this.entries.delete(oldest.value)
    }
    // The caller's object itself: its later lastUsedAt mark is the cached one's too.
    this.entries.set(key, Object.assign(value, { storedAt: now }))
  }

  startLookup(): number {
    return this.now()
  }

  /**
   * Calls `listener` with every scope invalidated from now on (the realtime channel re-checks
   * the matching open sockets). Returns the unsubscribe function.
   */
  onInvalidate(listener: (scope: CredentialScope) => void): () => void {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  invalidate(scope: CredentialScope): void {
    for (const listener of this.listeners) listener(scope)
    const now = this.now()
    this.recent.push({ scope, at: now })
    for (const [key, entry] of this.entries) if (scopeMatches(scope, entry.actor)) this.entries.delete(key)
  }

  get size(): number {
    return this.entries.size
  }
}

/** This process's cache, used by the API's authentication. */
export const credentialCache = new CredentialCache()

/**
 * Call wherever an API key or user token is revoked, or what a user's credentials carry
 * changes (role, deletion, password): the next request with them is verified against the
 * database again, in this process at once. Other hub processes see it within CREDENTIAL_TTL_MS.
 */
export function invalidateCredentials(scope: CredentialScope): void {
  credentialCache.invalidate(scope)
}
