import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { createAdminApp } from './admin/admin-app.ts'
import { type AdminSocket, listenAdminSocket } from './admin/admin-socket.ts'
import { countCompanies } from './admin/operations.ts'
import type { AppDeps } from './api/context.ts'
import { createWorkerApp } from './api/health.ts'
import { createRedisRateCounter } from './api/middleware/rate-counter.ts'
import { createApp } from './app.ts'
import { createDiskBlobStore } from './blobs/disk-blob-store.ts'
import { systemClock } from './core/clock.ts'
import { createLinks } from './core/links.ts'
import type { Logger } from './core/logger.ts'
import { withAfterCommit } from './db/after-commit.ts'
import type { DatabaseHandle } from './db/client.ts'
import { type HubDatabase, openHubDatabase } from './db/hub-database.ts'
import type { Env } from './env.ts'
import { createOutboxNotifier, OUTBOX_CHANNEL } from './events/outbox-notify.ts'
import { forwardOutboxSignal } from './events/outbox-signal.ts'
import { listenHttp, stopServer } from './http-server.ts'
import { createQueue } from './jobs/create-queue.ts'
import type { JobQueue } from './jobs/queue.ts'
import { createMailer } from './mail/create-mailer.ts'
import { createRealtime, createRealtimePublisher, type Realtime } from './realtime/realtime.ts'
import { createCallerInfo } from './services/caller-info/caller-info.ts'
import { createRingingCards } from './services/caller-info/ringing-cards.ts'
import { createWeatherLookup } from './services/caller-info/weather.ts'
import { createCallAdmission, engineLag } from './services/calls/call-admission.ts'
import { stopSandboxCrms } from './services/integrations/sandbox-crms.ts'
import { createUserEventRecorder } from './services/users/user-event-recorder.ts'
import { createSandboxCallControl } from './telephony/carrier/sandbox-call-control.ts'
import { createSandboxCarrier } from './telephony/carrier/sandbox-carrier.ts'
import { createCallActions } from './telephony/engine/call-actions.ts'
import { eventBase } from './telephony/engine/call-object.ts'
import { nobodyOnline, silentAgentChannel } from './telephony/engine/ports.ts'
import { createWorldCache } from './telephony/routing-world.ts'
import { rearmCallJobs, registerWorkers } from './workers.ts'

export type RunningHub = {
  /** The API's address, or null for a worker-only process (which serves only the probes). */
  url: string | null
  /** The port this process listens on (the API, or a worker's /healthz and /readyz). */
  port: number
  database: DatabaseHandle['kind']
  adminSocket: string | null
  companies: number
  /** Graceful stop, in reverse order of start. Idempotent. */
  close(): Promise<void>
}

/**
 * Starts one hub process as its role says: database, queue, workers, HTTP server, admin socket.
 * `opened`: the database already being opened (main.ts starts it before loading this module);
 * the hub owns it from here, closing it on failure as on shutdown.
 */
export async function startHub(env: Env, logger: Logger, opened?: Promise<HubDatabase>): Promise<RunningHub> {
  const cleanups: (() => Promise<void> | void)[] = []
  const close = async () => {
    while (cleanups.length > 0) {
      const step = cleanups.pop()!
      try {
        await step()
      } catch (err) {
        logger.error({ err }, 'error during shutdown')
      }
    }
  }

  try {
    const database = await (opened ?? openHubDatabase(env, logger))
    cleanups.push(() => database.close())
    const handle = database.handle
    // Commits run their afterCommit hooks: an outbox event wakes the relay once it is committed.
    withAfterCommit(handle.db)

    const clock = systemClock
    const queue: JobQueue = await createQueue({ env, db: handle.db, clock, logger })
    cleanups.push(() => queue.close())
    // The sandbox CRMs this process started on demand (loopback servers): stopped after the workers.
    cleanups.push(() => stopSandboxCrms())

    const deps: AppDeps = {
      env,
      db: handle.db,
      queue,
      clock,
      logger,
      mailer: createMailer(env, logger),
      // Local disk until an S3 driver exists; a multi-instance deployment shares DATA_DIR/blobs.
      blobs: createDiskBlobStore(join(env.DATA_DIR, 'blobs')),
      // The only carrier so far; the Twilio gateway arrives with the telephony work.
      carrier: createSandboxCarrier(),
      callControl: createSandboxCallControl({ db: handle.db, queue, logger }),
      // Replaced just below by the realtime channel's (the two are wired to each other).
      agentChannel: silentAgentChannel,
      presence: nobodyOnline,
      worldCache: createWorldCache(),
      userEvents: createUserEventRecorder({ clock, links: createLinks(eventBase(env)) }),
      callerInfo: createCallerInfo({ env, clock }, { weather: createWeatherLookup(env, clock) }),
      ping: { db: handle.ping },
    }
    // Reads deps.agentChannel when it sends, so it reaches the realtime channel wired below.
    deps.callerCards = createRingingCards(deps)
    deps.callAdmission = createCallAdmission({
      clock,
      logger,
      lagMs: engineLag(queue),
      limits: { maxLagMs: env.CALL_ENGINE_MAX_LAG_MS },
    })

    // The agents' realtime channel and the call engine, wired to each other: the engine reaches
    // agents' clients and reads who is online through the channel; the channel hands agents'
    // actions to the engine. A worker serves no socket: it only publishes (the timers it fires
    // ring agents connected to the web processes, over Redis when REDIS_URL is set).
    const sockets: Realtime | undefined =
      env.HUB_ROLE === 'worker'
        ? undefined
        : createRealtime({ env, db: handle.db, clock, logger, callActions: createCallActions(deps) })
    const realtime = sockets ?? createRealtimePublisher({ env, logger })
    cleanups.push(() => realtime.close())
    deps.agentChannel = realtime.channel
    deps.presence = realtime.presence
    // Subscribed before serving, so no frame published meanwhile is missed; an unreachable
    // Redis does not hold the start (the channel catches up once it connects).
    const subscribed = await Promise.race([
      realtime.ready().then(() => true),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 10_000).unref()),
    ])
    if (!subscribed) logger.warn('realtime: Redis not reachable yet; serving, frames from other hubs follow')

    const pgListen = handle.listen
    if (env.HUB_ROLE === 'web' && pgListen) {
      // No relay here: tell the workers (other processes) that events were committed.
      cleanups.push(forwardOutboxSignal(createOutboxNotifier(handle.db, logger)))
    }
    if (env.HUB_ROLE === 'web' && queue.kind !== 'embedded') {
      // This process, killed, may have lost the BullMQ adds of calls it had just changed.
      rearmCallJobs(deps, logger)
    }
    if (env.HUB_ROLE === 'all' || env.HUB_ROLE === 'worker') {
      const workers = registerWorkers(deps, {
        soleWorker: database.ownsDataDir,
        subscribeRemote: pgListen
          ? (wake) => {
              const stop = pgListen(OUTBOX_CHANNEL, wake).catch((err: unknown) => {
                logger.warn({ err }, 'outbox: LISTEN failed; relaying by polling')
                return async () => {}
              })
              // UNLISTEN can fail when the connection is already gone: nothing left to stop then.
              return () =>
                stop
                  .then((unlisten) => unlisten())
                  .catch((err: unknown) => logger.debug({ err }, 'outbox: UNLISTEN failed'))
            }
          : undefined,
      })
      cleanups.push(() => workers.stop())
    }

    const host = env.HOST === '0.0.0.0' || env.HOST === '::' ? 'localhost' : env.HOST
    let url: string | null = null
    let adminSocket: AdminSocket | null = null
    if (database.ownsDataDir) {
      adminSocket = await listenAdminSocket(
        env.DATA_DIR,
        createAdminApp({
          db: handle.db,
          clock,
          queue: async () => queue,
          mailer: deps.mailer,
          publicUrl: () => env.PUBLIC_URL?.replace(/\/$/, '') ?? url ?? `http://localhost:${env.PORT}`,
          logger,
          carrier: deps.carrier,
          baseUrl: () => env.PUBLIC_URL?.replace(/\/$/, '') ?? url,
          vault: env,
        }),
      )
      const socket = adminSocket
      cleanups.push(() => socket.close())
    }

    if (env.HUB_ROLE !== 'worker' && env.REDIS_URL) {
      // One rate-limit window per company across every web instance; closed after the server stops.
      const rateCounter = createRedisRateCounter({ url: env.REDIS_URL })
      cleanups.push(() => rateCounter.close())
      deps.rateCounter = rateCounter
    }
    if (sockets) deps.realtime = sockets
    // A worker serves only the probes (/healthz, /readyz); `url` stays the API's address.
    const server = await listenHttp(
      env.HUB_ROLE === 'worker' ? createWorkerApp(deps).fetch : createApp(deps).fetch,
      {
        port: env.PORT,
        host: env.HOST,
        logger,
        websocket: sockets?.websocketServer,
      },
    )
    cleanups.push(() => stopServer(server))
    // Runs before stopServer (cleanups run in reverse): open sockets would hold the server open.
    if (sockets) cleanups.push(() => sockets.closeSockets())
    const port = (server.address() as AddressInfo).port
    // Consume jobs only once the port is ours: a hub that cannot start runs no job.
    await queue.start()
    if (env.HUB_ROLE !== 'worker') url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`

    return {
      url,
      port,
      database: handle.kind,
      adminSocket: adminSocket?.path ?? null,
      companies: await countCompanies(handle.db),
      close: (() => {
        let closing: Promise<void> | undefined
        return () => {
          closing ??= close()
          return closing
        }
      })(),
    }
  } catch (err) {
    await close()
    throw err
  }
}

export { PortInUseError } from './http-server.ts'
