import { Redis } from 'ioredis'

/**
 * Counts API requests per company in fixed windows. hit() records one request in the window
 * starting at windowStartMs and answers the window's count so far (this request included).
 * It rejects when the store is unreachable; the rate limiter then lets the request through.
 */
export type RateCounter = {
  hit(companyId: number, windowStartMs: number): Promise<number>
}

/** This process's memory: each web instance counts its own window (the default). */
export function createMemoryRateCounter(): RateCounter {
  const windows = new Map<number, { start: number; count: number }>()
  return {
    async hit(companyId, windowStartMs) {
      let w = windows.get(companyId)
      if (!w || w.start !== windowStartMs) {
        w = { start: windowStartMs, count: 0 }
        windows.set(companyId, w)
      }
      w.count++
      return w.count
    },
  }
}

/** Keys outlive their one-minute window a little, so a late INCR never resurrects a stale count. */
const KEY_TTL_MS = 120_000

/**
 * One counter shared by every web instance: INCR of `<prefix>:<companyId>:<windowStart>` with a
 * two-minute expiry, in one MULTI. No offline queue and a short command timeout, so an
 * unreachable Redis fails the hit at once instead of stalling the request.
 */
export function createRedisRateCounter(opts: {
  url: string
  /** Key prefix; tests use their own. */
  prefix?: string
}): RateCounter & { close(): Promise<void> } {
  const prefix = opts.prefix ?? 'sb:rl'
  const client = new Redis(opts.url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    commandTimeout: 1_000,
    connectionName: 'sb-rate-limit',
  })
  // Connection errors surface as rejected hits (logged by the rate limiter); ioredis would
  // otherwise print every reconnect failure as an unhandled 'error' event.
  client.on('error', () => {})
  // Without an offline queue, commands sent before the first connection fail; the first hits
  // wait for it to settle (ready, or a first failure: then they fail open at once).
  const settled = new Promise<void>((resolve) => {
    const done = () => {
      client.off('ready', done)
      client.off('error', done)
      client.off('end', done)
      resolve()
    }
    client.once('ready', done)
    client.once('error', done)
    client.once('end', done)
  })
  return {
    async hit(companyId, windowStartMs) {
      await settled
      const key = `${prefix}:${companyId}:${windowStartMs}`
      const replies = await client.multi().incr(key).pexpire(key, KEY_TTL_MS).exec()
      const [incr] = replies ?? []
      if (!incr) throw new Error('rate counter: MULTI was aborted')
      const [err, count] = incr
      if (err) throw err
      if (typeof count !== 'number') throw new Error(`rate counter: unexpected INCR reply ${String(count)}`)
      return count
    },
    async close() {
      try {
        await client.quit()
      } catch {
        client.disconnect()
      }
    },
  }
}
