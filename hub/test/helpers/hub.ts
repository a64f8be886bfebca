import { randomUUID } from 'node:crypto'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { eq } from 'drizzle-orm'
import type { AppDeps } from '../../src/api/context.ts'
import { createApp } from '../../src/app.ts'
import { createMemoryBlobStore } from '../../src/blobs/disk-blob-store.ts'
import { FakeClock } from '../../src/core/clock.ts'
import { createLinks } from '../../src/core/links.ts'
import { createLogger } from '../../src/core/logger.ts'
import { withAfterCommit } from '../../src/db/after-commit.ts'
import type { DatabaseHandle } from '../../src/db/client.ts'
import { users, userTokens } from '../../src/db/schema/index.ts'
import { parseEnv } from '../../src/env.ts'
import { listenHttp, stopServer } from '../../src/http-server.ts'
import type { JobQueue } from '../../src/jobs/queue.ts'
import { createRedisBus } from '../../src/realtime/bus.ts'
import type { CallActions } from '../../src/realtime/ports.ts'
import { createRedisPresenceStore } from '../../src/realtime/presence-store.ts'
import { createRealtime, type Realtime, type RealtimeTimings } from '../../src/realtime/realtime.ts'
import { newSecret } from '../../src/services/auth/secrets.ts'
import { createCallerInfo, type WeatherLookup } from '../../src/services/caller-info/caller-info.ts'
import { createRingingCards } from '../../src/services/caller-info/ringing-cards.ts'
import {
  type AdmissionLimits,
  createCallAdmission,
  engineLag,
} from '../../src/services/calls/call-admission.ts'
import { createCompanyWithAdmin } from '../../src/services/company/create-company.ts'
import { createUserEventRecorder } from '../../src/services/users/user-event-recorder.ts'
import { createSandboxCallControl } from '../../src/telephony/carrier/sandbox-call-control.ts'
import { createSandboxCarrier } from '../../src/telephony/carrier/sandbox-carrier.ts'
import { createCallActions } from '../../src/telephony/engine/call-actions.ts'
import { eventBase } from '../../src/telephony/engine/call-object.ts'
import type { PresenceDirectory } from '../../src/telephony/engine/ports.ts'
import { createWorldCache } from '../../src/telephony/routing-world.ts'
import { registerWorkers } from '../../src/workers.ts'
import { RecordingAgentChannel } from './agent-channel.ts'
import { openTestDatabase } from './database.ts'
import { MemoryMailer } from './mail.ts'
import { createTestQueue } from './queue.ts'

export type TestHub = Awaited<ReturnType<typeof createTestHub>>

/** The real app on a fresh embedded database, a fake clock and captured mail. */
export async function createTestHub(
  overrides: {
    env?: Record<string, string>
    queue?: JobQueue
    /** Run the background workers (outbox relay, webhook deliveries) and start the queue. */
    workers?: boolean
    /** A database of the test's own instead of a fresh test database (closed with the hub). */
    database?: DatabaseHandle
    /**
     * The realtime channel's engine side (default: no calls, as the hub until the engine is
     * wired) and shorter timings. Its fan-out and directory are Redis when env has REDIS_URL.
     */
    realtime?: { callActions?: CallActions; timings?: Partial<RealtimeTimings>; redisPrefix?: string }
    /** Ringing agents get the caller card (`call.caller_card`), as on a real hub. */
    callerCards?: boolean
    /** The caller card's place and weather (default: none). */
    weather?: WeatherLookup
    /**
     * Back-pressure on new calls, as the server wires it but with these limits (default: none,
     * every call let in: tests that drive timers by hand leave due jobs waiting on purpose).
     */
    callAdmission?: Partial<AdmissionLimits>
  } = {},
) {
  const handle: DatabaseHandle = overrides.database ?? (await openTestDatabase())
  withAfterCommit(handle.db)
  const clock = new FakeClock(new Date('2026-03-02T09:00:00Z'))
  const mailer = new MemoryMailer()
  const blobs = createMemoryBlobStore()
  const env = parseEnv({
    PUBLIC_URL: 'http://hub.test',
    WEBHOOKS_ALLOW_PRIVATE: 'true',
    URL_SIGNING_SECRET: 'test-url-signing-secret-0123456789abcdef',
    ...overrides.env,
  })
  const queue = overrides.queue ?? (await createTestQueue(handle, clock))
  /**
   * What agents' clients receive, recorded, then sent through the hub's realtime channel as the
   * server wires it; online = users marked with setOnline() plus those with a client connected.
   */
  const agentChannel = new RecordingAgentChannel()
  const online = new Map<number, Set<number>>()
  let realtimeOfEngine: Realtime | undefined
  agentChannel.forwardTo = (companyId, userIds, message) =>
    realtimeOfEngine?.channel.send(companyId, userIds, message)
  const presence: PresenceDirectory = {
    onlineUsers: async (companyId) => {
      const connected = (await realtimeOfEngine?.presence.onlineUsers(companyId)) ?? new Set<number>()
      return new Set([...(online.get(companyId) ?? []), ...connected])
    },
  }
  const deps: AppDeps = {
    env,
    db: handle.db,
    queue,
    clock,
    logger: createLogger('silent'),
    mailer,
    blobs,
    carrier: createSandboxCarrier(),
    callControl: createSandboxCallControl({ db: handle.db, queue, logger: createLogger('silent') }),
    agentChannel,
    presence,
    worldCache: createWorldCache(),
    userEvents: createUserEventRecorder({ clock, links: createLinks(eventBase(env)) }),
    callerInfo: createCallerInfo({ env, clock }, overrides.weather ? { weather: overrides.weather } : {}),
  }
  // As the server wires it, when asked: other tests count the exact frames agents receive.
  if (overrides.callerCards) deps.callerCards = createRingingCards(deps)
  if (overrides.callAdmission)
    deps.callAdmission = createCallAdmission({
      clock,
      logger: deps.logger,
      lagMs: engineLag(queue),
      limits: overrides.callAdmission,
    })
  type RealtimeOverrides = NonNullable<typeof overrides.realtime>
  const stops: (() => Promise<void>)[] = []
  // On Redis, test hubs share the scale run's server: keys and channel of their own (the same
  // redisPrefix for hubs that play processes of one deployment).
  async function makeRealtime(options: RealtimeOverrides = {}) {
    const redisPrefix = options.redisPrefix ?? `sb-test-${randomUUID()}`
    const channel = createRealtime({
      env,
      db: handle.db,
      clock,
      logger: deps.logger,
      callActions: options.callActions ?? engineActions,
      timings: options.timings,
      ...(env.REDIS_URL
        ? {
            bus: createRedisBus({ url: env.REDIS_URL, logger: deps.logger, channel: `${redisPrefix}:rt` }),
            store: createRedisPresenceStore({
              url: env.REDIS_URL,
              logger: deps.logger,
              prefix: `${redisPrefix}:p`,
            }),
          }
        : {}),
    })
    await channel.ready()
    return channel
  }
  // The engine's side of agents' actions, as the server wires it.
  const engineActions = createCallActions(deps)
  const realtime = await makeRealtime(overrides.realtime)
  deps.realtime = realtime
  realtimeOfEngine = realtime
  const app = createApp(deps)
  const workers = overrides.workers ? registerWorkers(deps, { relayIntervalMs: 20 }) : undefined
  if (workers) await queue.start()

  /**
   * `app.request` with JSON bodies and an auth header. `clientAddress` is the peer address the
   * node server would report for the request's socket (none by default, as in-process).
   */
  async function call(
    method: string,
    path: string,
    options: { auth?: string; body?: unknown; headers?: Record<string, string>; clientAddress?: string } = {},
  ) {
    const headers: Record<string, string> = { ...options.headers }
    if (options.auth) headers.authorization = options.auth
    let body: string | undefined
    if (options.body !== undefined) {
      headers['content-type'] = 'application/json'
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
    }
    const socket = options.clientAddress
      ? { incoming: { socket: { remoteAddress: options.clientAddress } } }
      : {}
    const res = await app.request(`http://hub.test${path}`, { method, headers, body }, socket)
    const text = await res.text()
    let json: unknown = null
    try {
      json = text ? JSON.parse(text) : null
    } catch {
      json = text
    }
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response shapes
    return { status: res.status, headers: res.headers, body: json as any }
  }

  let seq = 0
  /** A new tenant: company, admin (with API key and session token), and one agent with an agent token. */
  async function createCompany(name = `Company ${++seq}`) {
    const n = `${Date.now().toString(36)}${++seq}`
    const setup = await createCompanyWithAdmin(handle.db, clock, {
      company: name,
      email: `admin-${n}@example.test`,
      password: 'correct horse battery',
      firstName: 'Ada',
      lastName: 'Admin',
    })
    const adminToken = await issueToken(setup.company_id, setup.user_id, 'session')
    const [agent] = await handle.db
      .insert(users)
      .values({
        companyId: setup.company_id,
        email: `agent-${n}@example.test`,
        firstName: 'Alan',
        lastName: 'Agent',
        role: 'agent',
      })
      .returning()
    const agentToken = await issueToken(setup.company_id, agent!.id, 'agent')
    return {
      id: setup.company_id,
      adminUserId: setup.user_id,
      agentUserId: agent!.id,
      apiId: setup.api_id,
      apiToken: setup.api_token,
      basic: `Basic ${Buffer.from(`${setup.api_id}:${setup.api_token}`).toString('base64')}`,
      adminBearer: `Bearer ${adminToken}`,
      agentBearer: `Bearer ${agentToken}`,
    }
  }

  async function issueToken(companyId: number, userId: number, kind: 'session' | 'agent') {
    const secret = newSecret(kind === 'session' ? 'sbs' : 'sba')
    await handle.db.insert(userTokens).values({ companyId, userId, kind, tokenHash: secret.hash })
    return secret.value
  }

  async function userById(id: number) {
    const [u] = await handle.db.select().from(users).where(eq(users.id, id))
    return u
  }

  /** Serves `fetch` on a loopback port, as the hub does (WebSocket upgrades included); its base URL. */
  async function serve(fetch: (req: Request) => Response | Promise<Response>, channel: Realtime) {
    const server: Server = await listenHttp(fetch, {
      port: 0,
      host: '127.0.0.1',
      logger: deps.logger,
      websocket: channel.websocketServer,
    })
    stops.push(async () => {
      await channel.closeSockets()
      await stopServer(server)
      await channel.close()
    })
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  }
  let listening: Promise<string> | undefined
  /** The app on a loopback port with the hub's realtime channel; its base URL. */
  function listen(): Promise<string> {
    listening ??= serve(app.fetch, realtime)
    return listening
  }
  /**
   * Another realtime channel (other timings, another CallActions) on this hub's database, served
   * with the app on a port of its own: one database for the tests of a file, however many
   * channel setups they need. Closed with the hub.
   */
  async function listenRealtime(options: RealtimeOverrides) {
    const channel = await makeRealtime(options)
    const base = await serve(createApp({ ...deps, realtime: channel }).fetch, channel)
    return { base, realtime: channel }
  }

  return {
    app,
    deps,
    realtime,
    listen,
    listenRealtime,
    db: handle.db,
    clock,
    mailer,
    blobs,
    queue,
    agentChannel,
    /** Marks a user as having a client connected (or not). */
    setOnline(companyId: number, userId: number, isOnline = true) {
      const set = online.get(companyId) ?? new Set<number>()
      if (isOnline) set.add(userId)
      else set.delete(userId)
      online.set(companyId, set)
    },
    call,
    createCompany,
    issueToken,
    userById,
    close: async () => {
      for (const stop of stops.reverse()) await stop()
      await realtime.close()
      await workers?.stop()
      await queue.close()
      await handle.close()
    },
  }
}

export type TestCompany = Awaited<ReturnType<TestHub['createCompany']>>
