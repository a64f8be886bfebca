import { type ServerMessage, serverMessageSchema } from '@switchboard/shared'
import WebSocket from 'ws'

/**
 * A WebSocket client of GET /v1/realtime for tests, over loopback: every frame the hub sends
 * is parsed against the protocol's schema (a frame that does not parse fails the test).
 */
export type TestSocket = Awaited<ReturnType<typeof openRealtime>>

export function realtimeUrl(baseUrl: string, query = ''): string {
  return `${baseUrl.replace(/^http/, 'ws')}/v1/realtime${query}`
}

export async function openRealtime(baseUrl: string, query = '') {
  const ws = new WebSocket(realtimeUrl(baseUrl, query))
  const frames: ServerMessage[] = []
  const waiters: { match: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }[] = []
  let cursor = 0
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }))
  })
  ws.on('message', (data) => {
    const message = serverMessageSchema.parse(JSON.parse(data.toString()))
    frames.push(message)
    const i = waiters.findIndex((w) => w.match(message))
    if (i >= 0) {
      const [w] = waiters.splice(i, 1)
      cursor = frames.length
      w!.resolve(message)
    }
  })
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve())
    ws.once('error', reject)
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)))
  })

  /** The next frame (after those already taken) of this type, waiting up to timeoutMs. */
  function next<T extends ServerMessage['type']>(
    type: T,
    timeoutMs = 5_000,
  ): Promise<Extract<ServerMessage, { type: T }>> {
    const match = (m: ServerMessage) => m.type === type
    const seen = frames.slice(cursor).findIndex(match)
    if (seen >= 0) {
      const message = frames[cursor + seen]!
      cursor += seen + 1
      return Promise.resolve(message as Extract<ServerMessage, { type: T }>)
    }
    return new Promise((resolve, reject) => {
      const waiter = { match, resolve: resolve as (m: ServerMessage) => void }
      waiters.push(waiter)
      setTimeout(() => {
        const i = waiters.indexOf(waiter)
        if (i >= 0) {
          waiters.splice(i, 1)
          reject(new Error(`no ${type} frame within ${timeoutMs} ms; got ${JSON.stringify(frames)}`))
        }
      }, timeoutMs)
    })
  }

  return {
    ws,
    frames,
    closed,
    next,
    send: (frame: unknown) => ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame)),
    close: () => {
      ws.close()
      return closed
    },
  }
}

/** Opens a socket and signs in with `token` (a bearer token's value); resolves on `hello`. */
export async function connectAgent(baseUrl: string, token: string) {
  const socket = await openRealtime(baseUrl)
  socket.send({ type: 'auth', v: 1, token })
  const hello = await socket.next('hello')
  return { socket, hello }
}

/** "Bearer sba_…" → "sba_…". */
export const tokenOf = (bearer: string) => bearer.replace(/^Bearer /, '')

/** Whether the upgrade is refused, and with which HTTP status. */
export function upgradeStatus(baseUrl: string, query = ''): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(realtimeUrl(baseUrl, query))
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      ws.terminate()
    })
    ws.once('open', () => {
      ws.close()
      resolve(101)
    })
    ws.once('error', (err) => {
      if (!/Unexpected server response/.test(String(err))) reject(err)
    })
  })
}
