import { describe, expect, it } from 'vitest'
import { CardCache } from './card-cache.ts'

function cacheAt(opts: { maxPerCompany?: number; maxCompanies?: number } = {}) {
  let now = 0
  const cache = new CardCache<string>({
    maxPerCompany: opts.maxPerCompany ?? 10,
    maxCompanies: opts.maxCompanies ?? 10,
    now: () => now,
  })
  let loads = 0
  const load =
    (value: string, ttlMs = 1000) =>
    async () => {
      loads++
      return { value, ttlMs }
    }
  return {
    cache,
    load,
    loads: () => loads,
    advance: (ms: number) => {
      now += ms
    },
  }
}

describe('CardCache', () => {
  it('shares one load between concurrent gets and keeps the value for the ttl the load gave', async () => {
    const c = cacheAt()
    const [a, b] = await Promise.all([
      c.cache.get(1, 'k', c.load('v1')),
      c.cache.get(1, 'k', c.load('other')),
    ])
    expect([a, b, c.loads()]).toEqual(['v1', 'v1', 1])
    c.advance(999)
    expect(await c.cache.get(1, 'k', c.load('v2'))).toBe('v1')
    c.advance(1)
    expect(await c.cache.get(1, 'k', c.load('v2'))).toBe('v2')
    expect(c.loads()).toBe(2)
  })

  it('keeps each company apart: the same key of another company is its own entry', async () => {
    const c = cacheAt()
    await c.cache.get(1, 'k', c.load('company 1'))
    expect(await c.cache.get(2, 'k', c.load('company 2'))).toBe('company 2')
    c.cache.forgetCompany(1)
    expect(await c.cache.get(1, 'k', c.load('again'))).toBe('again')
    expect(await c.cache.get(2, 'k', c.load('not used'))).toBe('company 2')
  })

  it('drops the least recently used entry and company beyond its bounds', async () => {
    const c = cacheAt({ maxPerCompany: 2, maxCompanies: 2 })
    await c.cache.get(1, 'a', c.load('a'))
    await c.cache.get(1, 'b', c.load('b'))
    await c.cache.get(1, 'a', c.load('unused')) // a is now the most recent
    await c.cache.get(1, 'c', c.load('c')) // evicts b
    expect(await c.cache.get(1, 'a', c.load('reloaded a'))).toBe('a')
    expect(await c.cache.get(1, 'b', c.load('reloaded b'))).toBe('reloaded b')
    await c.cache.get(2, 'x', c.load('x'))
    await c.cache.get(3, 'y', c.load('y')) // evicts company 1, the least recently used
    expect(await c.cache.get(2, 'x', c.load('reloaded x'))).toBe('x')
    expect(await c.cache.get(1, 'a', c.load('fresh a'))).toBe('fresh a')
    expect(c.cache.size).toBeLessThanOrEqual(4)
  })

  it('does not keep a failed load', async () => {
    const c = cacheAt()
    await expect(
      c.cache.get(1, 'k', async () => {
        throw new Error('database down')
      }),
    ).rejects.toThrow('database down')
    expect(await c.cache.get(1, 'k', c.load('recovered'))).toBe('recovered')
  })
})
