import type { Context } from 'hono'
import type { AppEnv } from '../context.ts'

/** The socket of the request as @hono/node-server binds it (absent for in-process `app.request`). */
function peerAddress(c: Context<AppEnv>): string | undefined {
  const bindings: unknown = c.env
  if (!bindings || typeof bindings !== 'object' || !('incoming' in bindings)) return undefined
  const incoming = bindings.incoming
  if (!incoming || typeof incoming !== 'object' || !('socket' in incoming)) return undefined
  const socket = incoming.socket
  if (!socket || typeof socket !== 'object' || !('remoteAddress' in socket)) return undefined
  return typeof socket.remoteAddress === 'string' ? socket.remoteAddress : undefined
}

/**
 * The client's address: the socket's peer, or, behind TRUST_PROXY_HOPS reverse proxies, the
 * X-Forwarded-For entry that many places from the right (each proxy appends the address it
 * received the request from, so entries further left are whatever the client chose to send).
 * Undefined when unknown.
 */
export function clientAddress(c: Context<AppEnv>): string | undefined {
  const peer = peerAddress(c)
  const hops = c.var.deps.env.TRUST_PROXY_HOPS
  if (hops === 0) return peer
  const forwarded = (c.req.header('x-forwarded-for') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
  const chain = peer === undefined ? forwarded : [...forwarded, peer]
  return chain[Math.max(0, chain.length - 1 - hops)]
}
