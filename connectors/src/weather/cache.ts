/**
 * A bounded in-memory cache with a time to live per entry, least recently used out first, that
 * also shares a load under way: a hundred calls ringing from the same city while its weather is
 * being fetched wait for the one request instead of making a hundred. Time is the caller's
 * (`now` in ms), so tests move it instead of sleeping.
 */
export class TtlCache<V> {
  private readonly entries = new Map<string, { value: V; expiresAt: number }>()
  private readonly loading = new Map<string, Promise<V>>()

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size
  }

  peek(key: string, now: number): V | undefined {
    const hit = this.entries.get(key)
    if (!hit) return undefined
    this.entries.delete(key)
    if (hit.expiresAt <= now) return undefined
    this.entries.set(key, hit) // most recently used last
    return hit.value
  }

  set(key: string, value: V, expiresAt: number): void {
    this.entries.delete(key)
    this.entries.set(key, { value, expiresAt })
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value
      if (oldest === undefined) break
      this.entries.delete(oldest)
    }
  }

  /**
   * The cached value, else the one a load under way will give, else `load()`'s, kept until the
   * time `ttlFor` picks for it (so a failure can be kept briefer than a success). `load` must
   * not reject: a failure is a value too, so that it can be remembered.
   */
  get(key: string, now: number, load: () => Promise<V>, ttlFor: (value: V) => number): Promise<V> {
    const hit = this.peek(key, now)
    if (hit !== undefined) return Promise.resolve(hit)
    const pending = this.loading.get(key)
    if (pending) return pending
    const started = load()
      .then((value) => {
        const ttl = ttlFor(value)
        if (ttl > 0) this.set(key, value, now + ttl)
        return value
      })
      .finally(() => this.loading.delete(key))
    this.loading.set(key, started)
    return started
  }
}
