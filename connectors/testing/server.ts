import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

export type FakeRequest = {
  method: string
  path: string
  query: URLSearchParams
  headers: IncomingHttpHeaders
  rawBody: string
}

export type FakeResponse = {
  status: number
  headers?: Record<string, string>
  /** Serialised as JSON unless a string. */
  body?: unknown
}

/**
 * A fault the test arms: the next `times` requests that match get `response` instead of the
 * handler's; or, with `dropAfterHandling`, the handler runs (the write is committed) and the
 * connection is then cut before any answer — a timeout or crash after the vendor saved. With
 * `delayMs`, the answer (the handler's or `response`) is held back that long: a slow vendor.
 */
export type Fault = {
  match: (req: FakeRequest) => boolean
  times?: number
  response?: FakeResponse
  dropAfterHandling?: boolean
  /** Answer only after this many ms (a vendor slower than the client's timeout). */
  delayMs?: number
}

export type FakeServer = {
  url: string
  requests: FakeRequest[]
  fault(f: Fault): void
  close(): Promise<void>
}

/** A node:http server on 127.0.0.1, random port, answering with `handle`. */
export async function startFakeServer(
  handle: (req: FakeRequest) => FakeResponse | Promise<FakeResponse>,
): Promise<FakeServer> {
  const requests: FakeRequest[] = []
  const faults: (Fault & { left: number })[] = []
  const timers = new Set<NodeJS.Timeout>()
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t)
        resolve()
      }, ms)
      timers.add(t)
    })
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://fake')
      const fr: FakeRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        rawBody: Buffer.concat(chunks).toString('utf8'),
      }
      requests.push(fr)
      const fault = faults.find((f) => f.left > 0 && f.match(fr))
      if (fault) fault.left--
      let out: FakeResponse
      try {
        out = fault?.response ?? (await handle(fr))
      } catch (e) {
        out = { status: 500, body: { message: `fake crashed: ${String(e)}` } }
      }
      if (fault?.delayMs) await pause(fault.delayMs)
      if (fault?.dropAfterHandling) {
        req.socket.destroy()
        return
      }
      // The client gave up (its timeout) while the answer was held back.
      if (res.destroyed || req.socket.destroyed) return
      const isText = typeof out.body === 'string'
      const payload = out.body === undefined ? '' : isText ? (out.body as string) : JSON.stringify(out.body)
      res.writeHead(out.status, {
        ...(out.body === undefined
          ? {}
          : { 'content-type': isText ? 'text/plain' : 'application/json;charset=utf-8' }),
        ...out.headers,
      })
      res.end(payload)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    fault: (f) => faults.push({ ...f, left: f.times ?? 1 }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t)
        timers.clear()
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

export function parseJson(req: FakeRequest): unknown {
  return req.rawBody ? JSON.parse(req.rawBody) : null
}
