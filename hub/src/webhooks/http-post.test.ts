import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { postJson } from './http-post.ts'

const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((done) => s.close(done))
  }
})

/**
 * A receiver that answers 200, except for the requests `drop` picks (by their number on their
 * connection, and overall): it closes the connection without a word, as a receiver closing an
 * idle keep-alive connection just as a request arrives on it.
 */
async function receiver(drop: (nthOnConnection: number, nth: number) => boolean) {
  const connections: number[] = []
  let nth = 0
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      nth++
      const socket = req.socket as typeof req.socket & { served?: number }
      socket.served = (socket.served ?? 0) + 1
      if (drop(socket.served, nth)) {
        socket.destroy()
        return
      }
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
    })
  })
  server.on('connection', (socket) => connections.push(socket.remotePort ?? 0))
  servers.push(server)
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`)
  return { url, connections, requests: () => nth }
}

const post = (url: URL) =>
  postJson(
    url,
    '{"event":"user.created"}',
    { 'content-type': 'application/json' },
    {
      timeoutMs: 5_000,
      allowPrivate: true,
    },
  )

describe('webhook POSTs', () => {
  it('reuse a kept-alive connection to the same receiver', async () => {
    const r = await receiver(() => false)
    for (let i = 0; i < 3; i++) expect((await post(r.url)).status).toBe(200)
    expect(r.requests()).toBe(3)
    expect(r.connections).toHaveLength(1)
  })

  it('send again, on a new connection, a delivery whose reused connection the receiver closed', async () => {
    // The second request is the first to reuse the connection: the receiver drops it.
    const r = await receiver((onConnection) => onConnection === 2)
    expect((await post(r.url)).status).toBe(200)
    expect((await post(r.url)).status).toBe(200)
    expect(r.requests()).toBe(3)
    expect(r.connections).toHaveLength(2)
  })

  it('count a connection dropped on a new connection as a failure, without sending again', async () => {
    const r = await receiver((_, nth) => nth === 1)
    await expect(post(r.url)).rejects.toThrow(/socket hang up|ECONNRESET/)
    expect(r.requests()).toBe(1)
  })
})
