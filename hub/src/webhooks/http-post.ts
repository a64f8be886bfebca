import { Agent as HttpAgent, request as httpRequest } from 'node:http'
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https'
import { publicOnlyLookup } from './url-safety.ts'

export type PostResponse = { status: number; bodySnippet: string }

const SNIPPET_BYTES = 512

/**
 * Keep-alive connections, one pool per destination (scheme, host, port, and whether private
 * addresses are allowed: the lookup is part of the pool). A receiver of many deliveries gets
 * them over a few reused connections instead of a TCP (and TLS) handshake each.
 * - At most MAX_SOCKETS_PER_DESTINATION connections to one destination: a busy receiver
 *   cannot take every socket of the hub.
 * - An idle connection is closed after IDLE_MS, before the usual server keep-alive timeouts
 *   (Node's 5 s, nginx's 75 s) close it under a request.
 * - At most MAX_DESTINATIONS pools; the least recently used one is closed past that.
 */
const MAX_SOCKETS_PER_DESTINATION = 32
const IDLE_MS = 4_000
const MAX_DESTINATIONS = 500

type AnyAgent = HttpAgent | HttpsAgent
const agents = new Map<string, AnyAgent>()

function agentFor(url: URL, allowPrivate: boolean): AnyAgent {
  const key = `${url.protocol}//${url.host}|${allowPrivate ? 'any' : 'public'}`
  let agent = agents.get(key)
  if (agent) {
    // Most recently used last.
    agents.delete(key)
    agents.set(key, agent)
    return agent
  }
  const options = {
    keepAlive: true,
    maxSockets: MAX_SOCKETS_PER_DESTINATION,
    maxFreeSockets: MAX_SOCKETS_PER_DESTINATION,
    // Node closes a free (idle) socket that times out; a socket in use only gets an event.
    timeout: IDLE_MS,
    scheduling: 'lifo' as const,
    lookup: allowPrivate ? undefined : publicOnlyLookup,
  }
  agent = url.protocol === 'https:' ? new HttpsAgent(options) : new HttpAgent(options)
  agents.set(key, agent)
  if (agents.size > MAX_DESTINATIONS) {
    const [oldestKey, oldest] = agents.entries().next().value as [string, AnyAgent]
    agents.delete(oldestKey)
    oldest.destroy()
  }
  return agent
}

/** Closes every pooled connection (the process is stopping). */
export function closeDeliveryConnections(): void {
  for (const agent of agents.values()) agent.destroy()
  agents.clear()
}

/** The receiver closed a kept-alive connection as we reused it: the request never reached it. */
class StaleConnectionError extends Error {}

/**
 * POSTs a body and resolves with the status (any status: the caller decides what counts as
 * delivered); rejects on network errors and when the whole exchange exceeds timeoutMs.
 * Redirects are not followed (a 3xx is an answer, and following it could lead to a private
 * address). node:http rather than fetch so the socket can use publicOnlyLookup.
 *
 * A pooled connection can be closed by the receiver at the very moment we reuse it (its idle
 * timeout): the request then fails with ECONNRESET / "socket hang up" before any answer. That
 * is not the receiver refusing the delivery, so it is sent once more, on a new connection,
 * within the same timeout; only a failure of that try counts.
 */
export async function postJson(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; allowPrivate: boolean },
): Promise<PostResponse> {
  const deadline = Date.now() + options.timeoutMs
  try {
    return await postOnce(url, body, headers, options, options.timeoutMs, true)
  } catch (err) {
    if (!(err instanceof StaleConnectionError)) throw err
    const left = deadline - Date.now()
    if (left <= 0) throw new Error(`timed out after ${options.timeoutMs} ms`)
    return postOnce(url, body, headers, options, left, false, options.timeoutMs)
  }
}

function postOnce(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: { allowPrivate: boolean },
  timeoutMs: number,
  mayRetry: boolean,
  reportedTimeoutMs = timeoutMs,
): Promise<PostResponse> {
  return new Promise((resolve, reject) => {
    let settled = false
    let answered = false
    const settle = (outcome: () => void) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      outcome()
    }
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest
    const auth =
      url.username || url.password
        ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`
        : undefined
    const req = request(
      url,
      {
        method: 'POST',
        auth,
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        agent: agentFor(url, options.allowPrivate),
      },
      (res) => {
        answered = true
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          if (size < SNIPPET_BYTES) chunks.push(chunk)
          size += chunk.length
        })
        res.on('end', () =>
          settle(() =>
            resolve({
              status: res.statusCode ?? 0,
              bodySnippet: Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString('utf8'),
            }),
          ),
        )
        res.on('error', (err) => settle(() => reject(err)))
      },
    )
    // Covers connecting, sending and reading the answer; a receiver that trickles bytes
    // forever is cut off too.
    const timer = setTimeout(() => {
      const err = new Error(`timed out after ${reportedTimeoutMs} ms`)
      settle(() => reject(err))
      req.destroy(err)
    }, timeoutMs)
    req.on('error', (err: NodeJS.ErrnoException) => {
      const stale =
        mayRetry &&
        !answered &&
        req.reusedSocket &&
        (err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.message === 'socket hang up')
      settle(() => reject(stale ? new StaleConnectionError(err.message) : err))
    })
    req.end(body)
  })
}
