import { Redis } from 'ioredis'
import type { Logger } from '../core/logger.ts'

export type UserRef = { companyId: number; userId: number }
export type ConnRef = UserRef & { connId: string }

/**
 * Who is online: each user's connected clients, shared by every hub process. A user is online
 * until `until`: the latest expiry of their clients' entries (each process refreshes its own
 * every few seconds, so a killed process's clients lapse by themselves), or, once their last
 * client left, the end of the grace period. claimExpired() hands each user whose time is up to
 * exactly one caller, whatever the number of processes asking: that one records
 * user.disconnected. Times are wall-clock milliseconds (shared across processes).
 */
export interface PresenceStore {
  /** A client connected (or is still there: refresh), its entry valid until `expiresAt`. */
  attach(conns: readonly ConnRef[], expiresAt: number): Promise<void>
  /** A client left; the user stays online until graceEnd if it was their last live one. */
  detach(conn: ConnRef, now: number, graceEnd: number): Promise<void>
  /** Users whose time is up and who have no live client: removed, each returned to one caller only. */
  claimExpired(now: number): Promise<UserRef[]>
  onlineUsers(companyId: number, now: number): Promise<Set<number>>
  close(): Promise<void>
}

type MemoryEntry = { conns: Map<string, number>; until: number }

/** Embedded: one process, the same rules in a map. */
export function createMemoryPresenceStore(): PresenceStore {
  const byCompany = new Map<number, Map<number, MemoryEntry>>()
  const entryOf = (companyId: number, userId: number, create: boolean) => {
    let users = byCompany.get(companyId)
    if (!users) {
      if (!create) return undefined
      users = new Map()
      byCompany.set(companyId, users)
    }
    let entry = users.get(userId)
    if (!entry && create) {
      entry = { conns: new Map(), until: 0 }
      users.set(userId, entry)
    }
    return entry
  }
  const liveUntil = (entry: MemoryEntry, now: number) => {
    let max = 0
    for (const [id, expiresAt] of entry.conns) {
      if (expiresAt <= now) entry.conns.delete(id)
      else max = Math.max(max, expiresAt)
    }
    return max
  }
  return {
    async attach(conns, expiresAt) {
      for (const c of conns) {
        const entry = entryOf(c.companyId, c.userId, true)!
        entry.conns.set(c.connId, expiresAt)
        entry.until = Math.max(entry.until, expiresAt)
      }
    },
    async detach(conn, now, graceEnd) {
      const entry = entryOf(conn.companyId, conn.userId, false)
      if (!entry) return
      entry.conns.delete(conn.connId)
      const live = liveUntil(entry, now)
      entry.until = live > 0 ? live : graceEnd
    },
    async claimExpired(now) {
      const claimed: UserRef[] = []
      for (const [companyId, users] of byCompany) {
        for (const [userId, entry] of users) {
          if (entry.until > now) continue
          const live = liveUntil(entry, now)
          if (live > 0) {
            entry.until = live
            continue
          }
          users.delete(userId)
          claimed.push({ companyId, userId })
        }
        if (users.size === 0) byCompany.delete(companyId)
      }
      return claimed
    },
    async onlineUsers(companyId, now) {
      const online = new Set<number>()
      for (const [userId, entry] of byCompany.get(companyId) ?? []) if (entry.until > now) online.add(userId)
      return online
    },
    async close() {},
  }
}

// KEYS: the user's hash of clients, the global "until" sorted set, the company's sorted set.
// ARGV: client id, expiry, global member, user id.
const ATTACH = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], 'GT', ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[3], 'GT', ARGV[2], ARGV[4])
return 1`

// The latest expiry of the user's live clients (expired ones removed), 0 when none.
const LIVE_UNTIL = `
local function live_until(key, now)
  local entries = redis.call('HGETALL', key)
  local max = 0
  for i = 1, #entries, 2 do
    local expires = tonumber(entries[i + 1])
    if expires <= now then redis.call('HDEL', key, entries[i]) elseif expires > max then max = expires end
  end
  return max
end
`

// ARGV: client id, now, grace end, global member, user id.
const DETACH = `${LIVE_UNTIL}
redis.call('HDEL', KEYS[1], ARGV[1])
local live = live_until(KEYS[1], tonumber(ARGV[2]))
local untilAt = ARGV[3]
if live > 0 then untilAt = live end
redis.call('ZADD', KEYS[2], untilAt, ARGV[4])
redis.call('ZADD', KEYS[3], untilAt, ARGV[5])
return 1`

// ARGV: now, global member, user id. 1: the caller owns the user's disconnection.
const CLAIM = `${LIVE_UNTIL}
local score = redis.call('ZSCORE', KEYS[2], ARGV[2])
if not score or tonumber(score) > tonumber(ARGV[1]) then return 0 end
local live = live_until(KEYS[1], tonumber(ARGV[1]))
if live > 0 then
  redis.call('ZADD', KEYS[2], live, ARGV[2])
  redis.call('ZADD', KEYS[3], live, ARGV[3])
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[3])
return 1`

type PresenceRedis = Redis & {
  sbAttach(
    k1: string,
    k2: string,
    k3: string,
    a1: string,
    a2: number,
    a3: string,
    a4: number,
  ): Promise<number>
  sbDetach(
    k1: string,
    k2: string,
    k3: string,
    a1: string,
    a2: number,
    a3: number,
    a4: string,
    a5: number,
  ): Promise<number>
  sbClaim(k1: string, k2: string, k3: string, a1: number, a2: string, a3: number): Promise<number>
}

/**
 * At scale: `<prefix>:u:<company>:<user>` (hash client → expiry), `<prefix>:until` (sorted set
 * of "company:user" by online-until, what claimExpired scans) and `<prefix>:online:<company>`
 * (sorted set of user ids by online-until, what onlineUsers reads). Each change is one Lua
 * script, so two processes never both claim a user.
 */
export function createRedisPresenceStore(opts: {
  url: string
  logger: Logger
  prefix?: string
}): PresenceStore {
  const prefix = opts.prefix ?? 'sb:presence'
  const client = new Redis(opts.url, {
    maxRetriesPerRequest: 2,
    connectionName: 'sb-presence',
  }) as PresenceRedis
  client.on('error', (err) => opts.logger.warn({ err }, 'presence: redis connection error'))
  client.defineCommand('sbAttach', { numberOfKeys: 3, lua: ATTACH })
  client.defineCommand('sbDetach', { numberOfKeys: 3, lua: DETACH })
  client.defineCommand('sbClaim', { numberOfKeys: 3, lua: CLAIM })
  const userKey = (c: UserRef) => `${prefix}:u:${c.companyId}:${c.userId}`
  const untilKey = `${prefix}:until`
  const onlineKey = (companyId: number) => `${prefix}:online:${companyId}`
  const member = (c: UserRef) => `${c.companyId}:${c.userId}`
  return {
    async attach(conns, expiresAt) {
      if (conns.length === 0) return
      const pipeline = client.pipeline() as unknown as PresenceRedis & { exec(): Promise<unknown> }
      // Safe: a pipeline carries the commands defined on its client (ioredis adds them to both).
      for (const c of conns) {
        void pipeline.sbAttach(
          userKey(c),
          untilKey,
          onlineKey(c.companyId),
          c.connId,
          expiresAt,
          member(c),
          c.userId,
        )
      }
      const results = (await pipeline.exec()) as [Error | null, unknown][] | null
      const failed = results?.find(([err]) => err)
      if (failed) throw failed[0]
    },
    async detach(conn, now, graceEnd) {
      await client.sbDetach(
        userKey(conn),
        untilKey,
        onlineKey(conn.companyId),
        conn.connId,
        now,
        graceEnd,
        member(conn),
        conn.userId,
      )
    },
    async claimExpired(now) {
      const due = await client.zrangebyscore(untilKey, '-inf', now, 'LIMIT', 0, 500)
      const claimed: UserRef[] = []
      for (const m of due) {
        const [companyId, userId] = m.split(':').map(Number)
        if (!companyId || !userId) continue
        const ref = { companyId, userId }
        if ((await client.sbClaim(userKey(ref), untilKey, onlineKey(companyId), now, m, userId)) === 1) {
          claimed.push(ref)
        }
      }
      return claimed
    },
    async onlineUsers(companyId, now) {
      const ids = await client.zrangebyscore(onlineKey(companyId), `(${now}`, '+inf')
      return new Set(ids.map(Number))
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
