/**
 * Caller cards kept for a short while, per company: a number that rings three agents in turn,
 * or that an agent's extension shows on a CRM page, is looked up in the CRMs once.
 *
 * - Each company has its own LRU (a Map in use order, bounded); companies themselves are kept in
 *   use order and bounded too. An entry is never reachable from another company: the company is
 *   the first level, not a part of a string key that could collide.
 * - A lookup in flight is shared: two agents' clients and the ringing call asking for the same
 *   number at once make one search per CRM.
 * - `ttlMs` is decided when the value is there (the caller gives it with the value): a card whose
 *   CRMs all answered lives longer than one missing a source, so a CRM back from an outage shows
 *   up soon while a failing one is not asked again by every ring.
 * - A failed load (an exception, not a CRM that failed: those are in the card) is not kept.
 */
export type CardCacheOptions = {
  /** Entries per company. */
  maxPerCompany: number
  /** Companies with entries. */
  maxCompanies: number
  /** Unix ms now (the hub's clock). */
  now: () => number
}

type Entry<V> = { value: Promise<V>; expiresAt: number }

export class CardCache<V> {
  private readonly companies = new Map<number, Map<string, Entry<V>>>()
  hits = 0
  misses = 0

  constructor(private readonly opts: CardCacheOptions) {}

  /**
   * The cached value for (company, key), else `load()`'s, kept for the `ttlMs` it returns.
   * Concurrent calls with the same key share one load.
   */
  get(companyId: number, key: string, load: () => Promise<{ value: V; ttlMs: number }>): Promise<V> {
    const now = this.opts.now()
    let entries = this.companies.get(companyId)
    const found = entries?.get(key)
    if (entries && found && found.expiresAt > now) {
      // Map order is use order: move both to the most recent end.
      entries.delete(key)
      entries.set(key, found)
      this.companies.delete(companyId)
      this.companies.set(companyId, entries)
      this.hits++
      return found.value
    }
    this.misses++
    if (!entries) {
      entries = new Map()
      if (this.companies.size >= this.opts.maxCompanies) {
        const oldest = this.companies.keys().next().value
        if (oldest !== undefined) this.companies.delete(oldest)
      }
    } else {
      this.companies.delete(companyId)
    }
    this.companies.set(companyId, entries)
    const own = entries
    // The callbacks run after `entry` is assigned (a then callback never runs synchronously).
    let entry: Entry<V> | undefined
    const value = Promise.resolve()
      .then(load)
      .then(
        (loaded) => {
          if (entry) entry.expiresAt = this.opts.now() + loaded.ttlMs
          return loaded.value
        },
        (err: unknown) => {
          if (entry && own.get(key) === entry) own.delete(key)
          throw err
        },
      )
    // In flight: kept until it settles, whatever the clock says.
    entry = { value, expiresAt: Number.POSITIVE_INFINITY }
    entries.delete(key)
    entries.set(key, entry)
    if (entries.size > this.opts.maxPerCompany) {
      const oldest = entries.keys().next().value
      if (oldest !== undefined) entries.delete(oldest)
    }
    return value
  }

  /** Forgets a company's entries (its integrations changed). */
  forgetCompany(companyId: number): void {
    this.companies.delete(companyId)
  }

  /** Entries held, all companies together (for tests and the bench). */
  get size(): number {
    let n = 0
    for (const e of this.companies.values()) n += e.size
    return n
  }
}
