import {
  type ClientMessage,
  REALTIME_CLOSE,
  REALTIME_PROTOCOL_VERSION,
  type ServerMessage,
  serverMessageSchema,
} from '@switchboard/shared'

/**
 * The agent's realtime connection to the hub (`GET /v1/realtime`), as the background service
 * worker keeps it:
 * - reconnects with exponential backoff and jitter (1 s doubling up to 30 s), reset by each
 *   `hello`; the hub's `hello` carries the current call, so a reconnect needs no replay;
 * - sends a `ping` every 20 s: from Chrome 116 WebSocket traffic keeps an MV3 service worker
 *   alive, and Chrome stops a worker after 30 s without activity;
 * - stops for good when the hub refuses the token (4401) or revokes it (4403).
 */
export type ConnectionStatus = 'connecting' | 'online' | 'offline'

export type RealtimeHandlers = {
  onMessage(message: ServerMessage): void
  onStatus(status: ConnectionStatus): void
  /** The hub refused or revoked the token: the agent must sign in again. */
  onRejected(reason: 'unauthorized' | 'revoked'): void
}

export const KEEPALIVE_PING_MS = 20_000
const MAX_BACKOFF_MS = 30_000
const ACTION_TIMEOUT_MS = 10_000

type WebSocketLike = Pick<WebSocket, 'send' | 'close' | 'readyState'> & {
  onopen: ((ev: Event) => void) | null
  onmessage: ((ev: MessageEvent) => void) | null
  onclose: ((ev: CloseEvent) => void) | null
  onerror: ((ev: Event) => void) | null
}

export function realtimeUrlOf(hubUrl: string): string {
  return `${hubUrl.replace(/^http/i, 'ws')}/v1/realtime`
}

/** Delay before reconnect attempt n (0-based): 1 s, 2 s, 4 s… capped at 30 s, half of it random. */
export function backoffDelay(attempt: number, random = Math.random): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt)
  return Math.round(ceiling / 2 + (random() * ceiling) / 2)
}

export function createRealtimeConnection(options: {
  hubUrl: string
  token: string
  handlers: RealtimeHandlers
  createSocket?: (url: string) => WebSocketLike
}) {
  const createSocket = options.createSocket ?? ((url: string) => new WebSocket(url))
  const { handlers } = options
  let socket: WebSocketLike | null = null
  let attempt = 0
  let stopped = false
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined
  let pingTimer: ReturnType<typeof setInterval> | undefined
  let refSeq = 0
  const pending = new Map<
    string,
    {
      resolve: (r: { ok: true } | { ok: false; message: string }) => void
      timer: ReturnType<typeof setTimeout>
    }
  >()

  function settle(ref: string, result: { ok: true } | { ok: false; message: string }) {
    const p = pending.get(ref)
    if (!p) return
    clearTimeout(p.timer)
    pending.delete(ref)
    p.resolve(result)
  }

  function connect() {
    if (stopped) return
    clearTimeout(reconnectTimer)
    handlers.onStatus('connecting')
    const ws = createSocket(realtimeUrlOf(options.hubUrl))
    socket = ws
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: 'auth', v: REALTIME_PROTOCOL_VERSION, token: options.token }))
      clearInterval(pingTimer)
      pingTimer = setInterval(() => {
        if (ws.readyState === 1) ws.send(JSON.stringify({ type: 'ping' }))
      }, KEEPALIVE_PING_MS)
    }
    ws.onmessage = (event) => {
      let message: ServerMessage
      try {
        message = serverMessageSchema.parse(JSON.parse(String(event.data)))
      } catch {
        return // a frame of a newer protocol: ignored, not fatal
      }
      if (message.type === 'hello') {
        attempt = 0
        handlers.onStatus('online')
      } else if (message.type === 'ping') {
        ws.send(JSON.stringify({ type: 'pong', ref: message.ref }))
        return
      } else if (message.type === 'ack') {
        settle(message.ref, { ok: true })
        return
      } else if (message.type === 'error' && message.ref) {
        settle(message.ref, { ok: false, message: message.message })
        return
      }
      handlers.onMessage(message)
    }
    ws.onerror = () => {
      // onclose follows and schedules the reconnect.
    }
    ws.onclose = (event) => {
      if (socket !== ws) return
      socket = null
      clearInterval(pingTimer)
      for (const ref of [...pending.keys()]) settle(ref, { ok: false, message: 'Connection lost' })
      if (event.code === REALTIME_CLOSE.unauthorized || event.code === REALTIME_CLOSE.revoked) {
        stopped = true
        handlers.onStatus('offline')
        handlers.onRejected(event.code === REALTIME_CLOSE.revoked ? 'revoked' : 'unauthorized')
        return
      }
      if (stopped) return
      handlers.onStatus('offline')
      reconnectTimer = setTimeout(connect, backoffDelay(attempt++))
    }
  }

  return {
    start: connect,
    /** Reconnects at once if the socket is down (an alarm woke the worker, or the network came back). */
    ensureOpen() {
      if (stopped || socket) return
      attempt = 0
      connect()
    },
    get open() {
      return socket?.readyState === 1
    },
    /** Sends an action; resolves when the hub acks it or answers an error. */
    send(frame: Exclude<ClientMessage, { type: 'auth' | 'ping' | 'pong' }>) {
      return new Promise<{ ok: true } | { ok: false; message: string }>((resolve) => {
        if (socket?.readyState !== 1) {
          resolve({ ok: false, message: 'Not connected to the hub' })
          return
        }
        const ref = `x${++refSeq}`
        const timer = setTimeout(
          () => settle(ref, { ok: false, message: 'The hub did not answer' }),
          ACTION_TIMEOUT_MS,
        )
        pending.set(ref, { resolve, timer })
        socket.send(JSON.stringify({ ...frame, ref }))
      })
    },
    stop() {
      stopped = true
      clearTimeout(reconnectTimer)
      clearInterval(pingTimer)
      const ws = socket
      socket = null
      ws?.close(1000)
      for (const ref of [...pending.keys()]) settle(ref, { ok: false, message: 'Signed out' })
    },
  }
}

export type RealtimeConnection = ReturnType<typeof createRealtimeConnection>
