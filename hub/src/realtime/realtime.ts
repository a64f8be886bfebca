import { randomUUID } from 'node:crypto'
import { upgradeWebSocket } from '@hono/node-server'
import {
  type AgentCall,
  clientMessageSchema,
  type Presence,
  REALTIME_CLOSE,
  REALTIME_PROTOCOL_VERSION,
  type ServerMessage,
} from '@switchboard/shared'
import type { Context } from 'hono'
import { WebSocketServer } from 'ws'
import type { Clock } from '../core/clock.ts'
import { DomainError } from '../core/errors.ts'
import { createLinks, type Links } from '../core/links.ts'
import type { Logger } from '../core/logger.ts'
import type { Database } from '../db/client.ts'
import type { Env } from '../env.ts'
import { credentialCache, scopeMatches } from '../services/auth/credential-cache.ts'
import { liveUserTokenIds, resolveCredential, type UserActor } from '../services/auth/verify-credential.ts'
import {
  declaredStatusOf,
  getUserRow,
  isOpen,
  markConnected,
  markDisconnected,
  setDeclaredStatus,
} from '../services/users/agent-presence.ts'
import { fullName, type UserRow } from '../services/users/user-json.ts'
import { forwardsCalls } from '../telephony/engine/forwarding.ts'
import { type BusMessage, createMemoryBus, createRedisBus, type RealtimeBus } from './bus.ts'
import {
  type AgentChannel,
  type CallActionMessage,
  type CallActions,
  liveStateOf,
  type PresenceDirectory,
} from './ports.ts'
import {
  type ConnRef,
  createMemoryPresenceStore,
  createRedisPresenceStore,
  type PresenceStore,
} from './presence-store.ts'

/** The channel's timings; tests shorten them. */
export type RealtimeTimings = {
  /** A client silent this long gets a `ping`. */
  pingIntervalMs: number
  /** A client silent this long (no frame at all, pongs included) is dropped. */
  dropAfterMs: number
  /** Time a new socket has to send its `auth` frame. */
  authTimeoutMs: number
  /** After a user's last client leaves: how long they stay online (a reload, a reconnect). */
  graceMs: number
  /** A process's client entries in the shared directory lapse this long after their last refresh. */
  entryTtlMs: number
  /** How often a process refreshes its clients' entries (well under entryTtlMs). */
  refreshMs: number
  /** How often a process looks for users whose grace period (or whose process) ended. */
  reapMs: number
  /** How often open sockets' credentials are checked again (revocations made on other processes). */
  credentialCheckMs: number
}

export const DEFAULT_TIMINGS: RealtimeTimings = {
  pingIntervalMs: 25_000,
  dropAfterMs: 60_000,
  authTimeoutMs: 10_000,
  graceMs: 10_000,
  entryTtlMs: 30_000,
  refreshMs: 10_000,
  reapMs: 1_000,
  credentialCheckMs: 5_000,
}

/** Frames above this size are refused by the WebSocket layer (the largest action is a 5,000-char comment). */
const MAX_FRAME_BYTES = 64 * 1024

export type RealtimeOptions = {
  env: Env
  db: Database
  clock: Clock
  logger: Logger
  callActions: CallActions
  timings?: Partial<RealtimeTimings>
  /** Fan-out and directory; by default memory, or Redis when env.REDIS_URL is set. */
  bus?: RealtimeBus
  store?: PresenceStore
  /** Wall-clock milliseconds for heartbeats and the directory's expiries (shared across processes). */
  now?: () => number
}

type WsLike = {
  send(data: string): void
  close(code?: number, reason?: string): void
  raw?: unknown
}

type Client = {
  id: string
  ws: WsLike
  links: Links
  actor?: UserActor
  lastSeen: number
  pinged: boolean
  closed: boolean
  /** Frames are handled one at a time, in order. */
  chain: Promise<void>
  /**
   * While signing in: the frames published to the user since the client joined the fan-out,
   * sent after `hello` (see authenticate).
   */
  held?: ServerMessage[]
}

/** Frames held for a client signing in, at most: past it, the client is told to reconnect. */
const MAX_HELD_FRAMES = 1_000

export type Realtime = {
  /** The engine's AgentChannel: frames to users' clients on whatever process they are connected to. */
  channel: AgentChannel
  /** The engine's PresenceDirectory. */
  presence: PresenceDirectory
  /** GET /v1/realtime: upgrades to the WebSocket. */
  handler(c: Context): Promise<Response>
  /** Give it to createHttpServer / listenHttp: the server hands it the upgrades. */
  websocketServer: WebSocketServer
  /** Resolves once the fan-out listens (Redis: subscribed). */
  ready(): Promise<void>
  /** Closes every socket (1001: reconnect elsewhere) and stops the timers: before the HTTP server stops. */
  closeSockets(): Promise<void>
  /** closeSockets, then the bus and the directory's connections. */
  close(): Promise<void>
  /**
   * The user's presence changed outside the channel (the API: PUT /v1/users/:id, PUT
   * /v1/me/availability): push it to their clients. Never throws; failures are logged.
   */
  presenceChanged(companyId: number, userId: number): Promise<void>
  /** Runs the periodic work now (tests). */
  tick(): Promise<void>
}

const key = (companyId: number, userId: number) => `${companyId}:${userId}`

/**
 * The realtime channel of one hub process. The protocol is shared/src/realtime.ts; README
 * "Realtime protocol" documents it for client authors.
 */
export function createRealtime(opts: RealtimeOptions): Realtime {
  const t: RealtimeTimings = { ...DEFAULT_TIMINGS, graceMs: opts.env.REALTIME_GRACE_MS, ...opts.timings }
  const { db, clock, callActions } = opts
  const logger = opts.logger.child({ component: 'realtime' })
  const now = opts.now ?? Date.now
  const bus =
    opts.bus ?? (opts.env.REDIS_URL ? createRedisBus({ url: opts.env.REDIS_URL, logger }) : createMemoryBus())
  const store =
    opts.store ??
    (opts.env.REDIS_URL
      ? createRedisPresenceStore({ url: opts.env.REDIS_URL, logger })
      : createMemoryPresenceStore())
  const processId = randomUUID().slice(0, 8)
  const defaultLinks = createLinks(opts.env.PUBLIC_URL ?? `http://localhost:${opts.env.PORT}`)
  const websocketServer = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES })

  const clients = new Set<Client>()
  const byUser = new Map<string, Set<Client>>()
  /** The link base each user last connected with here: what their user.disconnected event carries. */
  const linksOfUser = new Map<string, Links>()
  let seq = 0
  let closing = false

  const send = (client: Client, message: ServerMessage) => {
    if (client.closed) return
    if (client.held) {
      if (client.held.length < MAX_HELD_FRAMES) client.held.push(message)
      else closeClient(client, REALTIME_CLOSE.tryAgainLater, 'Try again later')
      return
    }
    sendNow(client, message)
  }
  const sendNow = (client: Client, message: ServerMessage) => {
    if (client.closed) return
    try {
      client.ws.send(JSON.stringify(message))
    } catch (err) {
      logger.debug({ err }, 'realtime: send failed')
    }
  }
  const closeClient = (client: Client, code: number, reason: string) => {
    if (client.closed) return
    // No frame of it is handled any more, nor anything sent to it.
    client.closed = true
    try {
      client.ws.close(code, reason)
    } catch (err) {
      logger.debug({ err }, 'realtime: close failed')
    }
  }
  const connRef = (client: Client & { actor: UserActor }): ConnRef => ({
    companyId: client.actor.companyId,
    userId: client.actor.userId,
    connId: `${processId}:${client.id}`,
  })

  bus.onMessage((m: BusMessage) => {
    for (const userId of m.userIds) {
      for (const client of byUser.get(key(m.companyId, userId)) ?? []) send(client, m.message)
    }
  })

  const presenceDeps = (links: Links) => ({ db, clock, links })

  async function presenceOf(row: UserRow, call: AgentCall | null): Promise<Presence> {
    // The directory knows the clients; external forwarding (the profile) is a device as well.
    const online = forwardsCalls(row) || (await store.onlineUsers(row.companyId, now())).has(row.id)
    const live = liveStateOf(call)
    const { declared, reason } = declaredStatusOf(row)
    return {
      user_id: row.id,
      online,
      declared,
      reason,
      live,
      routable: online && isOpen(row, clock.now()) && live === 'idle',
    }
  }

  async function pushPresence(companyId: number, userId: number, row: UserRow) {
    const call = await callActions.currentCall(companyId, userId)
    bus.publish({
      companyId,
      userIds: [userId],
      message: { type: 'presence', presence: await presenceOf(row, call) },
    })
  }

  const errorFrame = (ref: string | undefined, err: unknown): ServerMessage => {
    if (err instanceof DomainError) return { type: 'error', ref, code: err.code, message: err.message }
    logger.error({ err }, 'realtime: action failed')
    return { type: 'error', ref, code: 'internal', message: 'Internal error' }
  }

  async function authenticate(client: Client, token: string): Promise<void> {
    const bare = token.replace(/^bearer\s+/i, '')
    const verified = await resolveCredential(db, `Bearer ${bare}`, clock.now())
    if (client.closed) return
    if (verified?.actor.type !== 'user') {
      closeClient(client, REALTIME_CLOSE.unauthorized, 'Bad credentials')
      return
    }
    const actor = verified.actor
    client.actor = actor
    // From here the client is in the fan-out, so nothing published from now on is missed; but
    // `hello` is the state read below, and a frame published between that read and `hello`
    // would reach the client before it, to be overwritten by the older state (a call.ended
    // undone: the agent's app shows a call that has ended). So the frames wait, and follow
    // `hello` in order: the client applies hello, then every change since it joined.
    client.held = []
    const authed = client as Client & { actor: UserActor }
    const k = key(actor.companyId, actor.userId)
    let set = byUser.get(k)
    if (!set) {
      set = new Set()
      byUser.set(k, set)
    }
    set.add(client)
    linksOfUser.set(k, client.links)
    await store.attach([connRef(authed)], now() + t.entryTtlMs)
    const changed = await markConnected(presenceDeps(client.links), actor.companyId, actor.userId)
    const row = changed?.after ?? (await getUserRow(db, actor.companyId, actor.userId))
    if (!row) {
      closeClient(client, REALTIME_CLOSE.revoked, 'The user no longer exists')
      return
    }
    // A newly online agent may take a call waiting with nobody to ring: the engine looks again.
    if (changed) void nudgeEngine(actor.companyId)
    const call = await callActions.currentCall(actor.companyId, actor.userId)
    const presence = await presenceOf(row, call)
    // The cards an integration posted for the call before this app connected.
    const cards =
      call && call.status !== 'done'
        ? ((await callActions.insightCards?.(actor.companyId, call.call_id)) ?? [])
        : []
    sendNow(client, {
      type: 'hello',
      v: REALTIME_PROTOCOL_VERSION,
      user: { id: row.id, name: fullName(row), company_id: row.companyId },
      presence,
      call,
    })
    for (const frame of cards) sendNow(client, frame)
    const held = client.held
    client.held = undefined
    // A card posted while the client signed in is in the cards just read or among the frames
    // held, or both (posted before the read): each card read is skipped once among the held.
    // Compared by content whatever the order of the keys (the read comes back from a jsonb
    // column, which orders them its own way).
    const sentCards = cards.map(canonicalJson)
    for (const frame of held) {
      const sent = frame.type === 'call.insight_card' ? sentCards.indexOf(canonicalJson(frame)) : -1
      if (sent >= 0) sentCards.splice(sent, 1)
      else sendNow(client, frame)
    }
  }

  /** Tells the engine an agent of the company may have become routable; never throws. */
  async function nudgeEngine(companyId: number): Promise<void> {
    try {
      await callActions.presenceChanged?.(companyId)
    } catch (err) {
      logger.warn({ err }, 'realtime: waiting calls were not nudged')
    }
  }

  async function handleFrame(client: Client, data: unknown): Promise<void> {
    if (client.closed) return
    let json: unknown
    let parsedJson = false
    if (typeof data === 'string') {
      try {
        json = JSON.parse(data)
        parsedJson = true
      } catch {}
    }
    if (!client.actor) {
      const first = parsedJson ? clientMessageSchema.safeParse(json) : undefined
      if (!first?.success || first.data.type !== 'auth') {
        closeClient(
          client,
          REALTIME_CLOSE.badFirstFrame,
          `The first frame must be {"type":"auth","v":${REALTIME_PROTOCOL_VERSION},"token":…}`,
        )
        return
      }
      try {
        await authenticate(client, first.data.token)
      } catch (err) {
        // The directory or the database failed: the client retries, as after any drop.
        logger.error({ err }, 'realtime: sign-in failed')
        closeClient(client, 1011, 'Internal error')
      }
      return
    }
    const rawRef = typeof json === 'object' && json !== null ? Reflect.get(json, 'ref') : undefined
    const ref = typeof rawRef === 'string' && rawRef.length <= 64 ? rawRef : undefined
    if (!parsedJson) {
      send(client, { type: 'error', ref, code: 'bad_request', message: 'Frames are JSON text' })
      return
    }
    const parsed = clientMessageSchema.safeParse(json)
    if (!parsed.success) {
      const issue = parsed.error.issues[0]
      const field = issue?.path.join('.') || '(frame)'
      send(client, {
        type: 'error',
        ref,
        code: 'bad_request',
        message: `${field}: ${issue?.message ?? 'invalid'}`,
      })
      return
    }
    const msg = parsed.data
    const { companyId, userId } = client.actor
    try {
      switch (msg.type) {
        case 'auth':
          send(client, { type: 'error', ref, code: 'bad_request', message: 'Already authenticated' })
          return
        case 'ping':
          send(client, { type: 'pong', ref: msg.ref })
          return
        case 'pong':
          return
        case 'set_status': {
          const row = await setDeclaredStatus(
            presenceDeps(client.links),
            companyId,
            userId,
            msg.status,
            msg.reason,
          )
          if (ref) send(client, { type: 'ack', ref })
          await pushPresence(companyId, userId, row)
          void nudgeEngine(companyId)
          return
        }
        default: {
          const action: CallActionMessage = msg
          await callActions.agentAction(companyId, userId, action)
          if (ref) send(client, { type: 'ack', ref })
        }
      }
    } catch (err) {
      send(client, errorFrame(ref, err))
    }
  }

  async function detach(client: Client) {
    const actor = client.actor
    if (!actor) return
    const k = key(actor.companyId, actor.userId)
    const set = byUser.get(k)
    set?.delete(client)
    if (set?.size === 0) byUser.delete(k)
    if (closing) return
    const at = now()
    await store.detach(connRef(client as Client & { actor: UserActor }), at, at + t.graceMs)
  }

  async function reap() {
    const claimed = await store.claimExpired(now())
    for (const user of claimed) {
      const k = key(user.companyId, user.userId)
      const links = linksOfUser.get(k) ?? defaultLinks
      if (!byUser.has(k)) linksOfUser.delete(k)
      await markDisconnected(presenceDeps(links), user.companyId, user.userId)
      // A client that connected while this ran finds the user offline: bring them back.
      if ((await store.onlineUsers(user.companyId, now())).has(user.userId)) {
        await markConnected(presenceDeps(links), user.companyId, user.userId)
      }
    }
  }

  async function refresh() {
    const refs: ConnRef[] = []
    for (const client of clients)
      if (client.actor && !client.closed) refs.push(connRef(client as Client & { actor: UserActor }))
    await store.attach(refs, now() + t.entryTtlMs)
  }

  function heartbeat() {
    const at = now()
    for (const client of clients) {
      const silent = at - client.lastSeen
      if (!client.actor && silent >= t.authTimeoutMs) {
        closeClient(client, REALTIME_CLOSE.badFirstFrame, 'No auth frame in time')
      } else if (silent >= t.dropAfterMs) {
        // The peer is gone or stuck: no close handshake to wait for.
        const raw = client.ws.raw as { terminate?: () => void } | undefined
        if (raw?.terminate) raw.terminate()
        else closeClient(client, 1001, 'Heartbeat timeout')
      } else if (silent >= t.pingIntervalMs && !client.pinged && client.actor) {
        client.pinged = true
        send(client, { type: 'ping', ref: `hb-${at}` })
      }
    }
  }

  async function checkCredentials(only?: Iterable<Client>) {
    const open = [...(only ?? clients)].filter((c) => c.actor && !c.closed)
    if (open.length === 0) return
    const ids = [...new Set(open.map((c) => c.actor!.tokenId))]
    const live = await liveUserTokenIds(db, ids, clock.now())
    for (const client of open) {
      if (!live.has(client.actor!.tokenId))
        closeClient(client, REALTIME_CLOSE.revoked, 'The credential was revoked')
    }
  }

  const guard = (what: string, work: () => Promise<void>) => () => {
    work().catch((err: unknown) => logger.warn({ err }, `realtime: ${what} failed`))
  }
  const timers = [
    setInterval(heartbeat, Math.max(10, Math.min(5_000, Math.min(t.pingIntervalMs, t.authTimeoutMs) / 5))),
    setInterval(guard('refresh', refresh), t.refreshMs),
    setInterval(guard('reap', reap), t.reapMs),
    setInterval(
      guard('credential check', () => checkCredentials()),
      t.credentialCheckMs,
    ),
  ]
  for (const timer of timers) timer.unref()

  // A revocation in this process (sign-out, token deleted, password changed): check the
  // sockets it concerns now and again shortly, since it is often called before its commit.
  const stopListening = credentialCache.onInvalidate((scope) => {
    const concerned = [...clients].filter((c) => c.actor && scopeMatches(scope, c.actor))
    if (concerned.length === 0) return
    for (const delay of [0, 200, 1_000]) {
      setTimeout(
        guard('revocation check', () => checkCredentials(concerned)),
        delay,
      ).unref()
    }
  })

  let socketsClosed: Promise<void> | undefined
  let closed: Promise<void> | undefined
  function closeSockets(): Promise<void> {
    socketsClosed ??= (async () => {
      closing = true
      for (const timer of timers) clearInterval(timer)
      stopListening()
      for (const client of clients) closeClient(client, REALTIME_CLOSE.goingAway, 'The hub is shutting down')
      await Promise.all([...clients].map((c) => c.chain))
      websocketServer.close()
    })()
    return socketsClosed
  }

  async function handler(c: Context): Promise<Response> {
    if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
      return c.json(
        {
          message: 'GET /v1/realtime is a WebSocket: send Upgrade: websocket, then an auth frame',
          code: 'bad_request',
        },
        426,
      )
    }
    const url = new URL(c.req.url)
    if (url.search !== '') {
      // A token in a URL ends up in proxies' and servers' logs: refused outright.
      return c.json(
        {
          message:
            'GET /v1/realtime takes no query parameters: send the token in the first frame, never in the URL',
          code: 'bad_request',
        },
        400,
      )
    }
    if (closing) return c.json({ message: 'The hub is shutting down', code: 'unavailable' }, 503)
    const links = createLinks(opts.env.PUBLIC_URL ?? url.origin)
    const client: Client = {
      id: String(++seq),
      ws: { send: () => {}, close: () => {} },
      links,
      lastSeen: now(),
      pinged: false,
      closed: false,
      chain: Promise.resolve(),
    }
    return upgradeWebSocket(c, {
      onOpen(_event, ws) {
        client.ws = ws as unknown as WsLike
        client.lastSeen = now()
        clients.add(client)
      },
      onMessage(event, ws) {
        client.ws = ws as unknown as WsLike
        client.lastSeen = now()
        client.pinged = false
        const data = event.data
        client.chain = client.chain
          .then(() => handleFrame(client, data))
          .catch((err: unknown) => {
            logger.error({ err }, 'realtime: frame handling failed')
            send(client, { type: 'error', code: 'internal', message: 'Internal error' })
          })
      },
      onClose() {
        client.closed = true
        clients.delete(client)
        // After the frames already received (an auth still being checked) have been handled.
        client.chain = client.chain
          .then(() => detach(client))
          .catch((err: unknown) => {
            logger.warn({ err }, 'realtime: detach failed')
          })
      },
      onError(event) {
        logger.debug({ err: (event as ErrorEvent).error }, 'realtime: socket error')
      },
    })
  }

  return {
    channel: {
      send(companyId, userIds, message) {
        if (userIds.length > 0) bus.publish({ companyId, userIds, message })
      },
    },
    presence: {
      onlineUsers: (companyId) => store.onlineUsers(companyId, now()),
    },
    handler,
    websocketServer,
    async presenceChanged(companyId, userId) {
      try {
        const row = await getUserRow(db, companyId, userId)
        if (row) await pushPresence(companyId, userId, row)
        await nudgeEngine(companyId)
      } catch (err) {
        logger.warn({ err }, 'realtime: presence push failed')
      }
    },
    ready: () => bus.ready(),
    tick: async () => {
      heartbeat()
      await refresh()
      await reap()
      await checkCredentials()
    },
    closeSockets,
    close() {
      closed ??= (async () => {
        await closeSockets()
        await bus.close()
        await store.close()
      })()
      return closed
    },
  }
}

/**
 * The engine's side of the channel in a process that serves no WebSocket (HUB_ROLE=worker,
 * which fires the call timers): frames go out through the same Redis fan-out and the
 * directory is the same Redis one, so agents connected to the web hubs ring all the same.
 * Without REDIS_URL a worker process has no way to reach other processes' clients: run
 * HUB_ROLE=all (one process) or set REDIS_URL.
 */
export function createRealtimePublisher(opts: {
  env: Env
  logger: Logger
  bus?: RealtimeBus
  store?: PresenceStore
  now?: () => number
}): { channel: AgentChannel; presence: PresenceDirectory; ready(): Promise<void>; close(): Promise<void> } {
  const logger = opts.logger.child({ component: 'realtime' })
  const url = opts.env.REDIS_URL
  const bus = opts.bus ?? (url ? createRedisBus({ url, logger }) : createMemoryBus())
  const store = opts.store ?? (url ? createRedisPresenceStore({ url, logger }) : createMemoryPresenceStore())
  const now = opts.now ?? Date.now
  return {
    channel: {
      send(companyId, userIds, message) {
        if (userIds.length > 0) bus.publish({ companyId, userIds, message })
      },
    },
    presence: { onlineUsers: (companyId) => store.onlineUsers(companyId, now()) },
    ready: () => bus.ready(),
    async close() {
      await bus.close()
      await store.close()
    },
  }
}

/** JSON with every object's keys sorted: equal for equal contents, whatever their order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : v,
  )
}
