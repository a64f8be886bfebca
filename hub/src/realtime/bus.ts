import { randomUUID } from 'node:crypto'
import { type ServerMessage, serverMessageSchema } from '@switchboard/shared'
import { Redis } from 'ioredis'
import type { Logger } from '../core/logger.ts'

/** One message for some users of a company: each hub process delivers it to its own clients of them. */
export type BusMessage = { companyId: number; userIds: readonly number[]; message: ServerMessage }

/**
 * The realtime fan-out between hub processes. publish() delivers to this process's handler
 * at once (no round trip for the clients connected here) and, at scale, to every other
 * process through Redis pub/sub. Delivery is at most once: a client that misses a frame
 * (a reconnect) gets the current call again in `hello`.
 */
export interface RealtimeBus {
  publish(message: BusMessage): void
  /** The one handler of this process (the realtime module's local delivery). */
  onMessage(handler: (message: BusMessage) => void): void
  /** Resolves once messages from other processes arrive (Redis: subscribed and connected). */
  ready(): Promise<void>
  close(): Promise<void>
}

/** Embedded: one process, so publishing is delivering. */
export function createMemoryBus(): RealtimeBus {
  let handler: ((message: BusMessage) => void) | undefined
  return {
    publish(message) {
      handler?.(message)
    },
    onMessage(h) {
      handler = h
    },
    async ready() {},
    async close() {
      handler = undefined
    },
  }
}

type Envelope = { o: string; c: number; u: number[]; m: unknown }

/**
 * Redis pub/sub on one channel that every web process subscribes to; each keeps what concerns
 * its own clients. Two connections (a subscribed one cannot publish), constructed as the job
 * queue's; a publish while Redis is unreachable is dropped and logged, never queued for later
 * (a stale ring is worse than none).
 */
export function createRedisBus(opts: { url: string; logger: Logger; channel?: string }): RealtimeBus {
  // Pub/sub ignores Redis's logical databases: the channel names the one of REDIS_URL, so two
  // deployments on one server with different databases (as keys are) stay apart.
  const channel = opts.channel ?? `sb:realtime:${new URL(opts.url).pathname.slice(1) || '0'}`
  const origin = randomUUID()
  const logger = opts.logger
  const pub = new Redis(opts.url, {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectionName: 'sb-rt-pub',
  })
  const sub = new Redis(opts.url, { maxRetriesPerRequest: null, connectionName: 'sb-rt-sub' })
  pub.on('error', (err) => logger.warn({ err }, 'realtime: redis publisher error'))
  sub.on('error', (err) => logger.warn({ err }, 'realtime: redis subscriber error'))
  let handler: ((message: BusMessage) => void) | undefined
  const subscribed = sub.subscribe(channel).catch((err: unknown) => {
    logger.error({ err }, 'realtime: SUBSCRIBE failed')
  })
  sub.on('message', (_channel: string, raw: string) => {
    let envelope: Envelope
    try {
      envelope = JSON.parse(raw) as Envelope
    } catch {
      return
    }
    if (envelope.o === origin) return
    // Another process of this deployment wrote it; parsed all the same, as anything off the wire.
    const message = serverMessageSchema.safeParse(envelope.m)
    if (!message.success || !Array.isArray(envelope.u)) return
    handler?.({ companyId: envelope.c, userIds: envelope.u, message: message.data })
  })
  const ready = new Promise<void>((resolve) => {
    if (pub.status === 'ready') resolve()
    else pub.once('ready', () => resolve())
  })
  return {
    publish(message) {
      handler?.(message)
      const envelope: Envelope = {
        o: origin,
        c: message.companyId,
        u: [...message.userIds],
        m: message.message,
      }
      const send = () =>
        pub.publish(channel, JSON.stringify(envelope)).catch((err: unknown) => {
          logger.warn({ err, type: message.message.type }, 'realtime: publish failed')
        })
      if (pub.status === 'ready') void send()
      else void ready.then(send)
    },
    onMessage(h) {
      handler = h
    },
    async ready() {
      await Promise.all([subscribed, ready])
    },
    async close() {
      handler = undefined
      await subscribed
      for (const client of [sub, pub]) {
        try {
          await client.quit()
        } catch {
          client.disconnect()
        }
      }
    },
  }
}
