import { describe, expect, it } from 'vitest'
import type { Actor } from '../../core/actor.ts'
import { CredentialCache } from './credential-cache.ts'

const key = (companyId: number, apiKeyId: number): Actor => ({ type: 'api_key', companyId, apiKeyId })
const token = (companyId: number, userId: number, tokenId: number): Actor => ({
  type: 'user',
  companyId,
  userId,
  role: 'admin',
  tokenId,
  tokenKind: 'session',
})
const verified = (actor: Actor) => ({ actor, expiresAt: null, lastUsedAt: null })

/** A cache on a hand-driven millisecond clock. */
function cacheAt(ttlMs = 5_000, maxEntries = 10_000) {
  let now = 1_000
  const cache = new CredentialCache(ttlMs, maxEntries, () => now)
  return { cache, advance: (ms: number) => (now += ms) }
}

describe('credential cache', () => {
  it('serves a credential for its TTL only', () => {
    const { cache, advance } = cacheAt()
    cache.set('Basic a', verified(key(1, 10)), cache.startLookup())
    advance(4_999)
    expect(cache.get('Basic a')?.actor).toEqual(key(1, 10))
    advance(1)
    expect(cache.get('Basic a')).toBeUndefined()
  })

  it('drops what an invalidation names, and only that', () => {
    const { cache } = cacheAt()
    cache.set('Basic a', verified(key(1, 10)), cache.startLookup())
    cache.set('Basic b', verified(key(1, 11)), cache.startLookup())
    cache.set('Bearer u', verified(token(1, 5, 20)), cache.startLookup())
    cache.set('Bearer v', verified(token(1, 6, 21)), cache.startLookup())
    cache.set('Basic other', verified(key(2, 12)), cache.startLookup())
    cache.invalidate({ companyId: 1, apiKeyId: 10 })
    cache.invalidate({ companyId: 1, userId: 5 })
    expect(cache.get('Basic a')).toBeUndefined()
    expect(cache.get('Bearer u')).toBeUndefined()
    expect(cache.get('Basic b')).toBeDefined()
    expect(cache.get('Bearer v')).toBeDefined()
    cache.invalidate({ companyId: 1 })
    expect(cache.get('Basic b')).toBeUndefined()
    expect(cache.get('Bearer v')).toBeUndefined()
    expect(cache.get('Basic other')?.actor).toEqual(key(2, 12))
  })

  it('does not store what a lookup read before a revocation that was invalidated meanwhile', () => {
    const { cache, advance } = cacheAt()
    // The lookup reads the key while the revoking transaction is still open…
    const started = cache.startLookup()
    // …which invalidates (before or after its commit) while the lookup is in flight.
    cache.invalidate({ companyId: 1, apiKeyId: 10 })
    cache.set('Basic a', verified(key(1, 10)), started)
    expect(cache.get('Basic a')).toBeUndefined()
    // Even a lookup that starts after the invalidation (the commit may not have happened yet)
    // is not stored until the invalidation is older than the TTL.
    advance(100)
    cache.set('Basic a', verified(key(1, 10)), cache.startLookup())
    expect(cache.get('Basic a')).toBeUndefined()
    advance(5_000)
    cache.set('Basic a', verified(key(1, 10)), cache.startLookup())
    expect(cache.get('Basic a')).toBeDefined()
  })

  it('does not store the result of a lookup that took longer than the TTL', () => {
    const { cache, advance } = cacheAt()
    const started = cache.startLookup()
    advance(5_000)
    cache.set('Basic slow', verified(key(1, 10)), started)
    expect(cache.get('Basic slow')).toBeUndefined()
  })

  it('holds a bounded number of entries, dropping the oldest', () => {
    const { cache } = cacheAt(5_000, 3)
    for (let i = 1; i <= 5; i++) cache.set(`Basic ${i}`, verified(key(1, i)), cache.startLookup())
    expect(cache.size).toBe(3)
    expect(cache.get('Basic 1')).toBeUndefined()
    expect(cache.get('Basic 2')).toBeUndefined()
    expect(cache.get('Basic 5')?.actor).toEqual(key(1, 5))
  })
})
