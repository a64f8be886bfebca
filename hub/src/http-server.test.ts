import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestHub } from '../test/helpers/hub.ts'
import { eventually } from '../test/jobs/eventually.ts'
import { listenHttp, stopServer } from './http-server.ts'

// Some requests never reach the app: Node's HTTP parser refuses them (a URL or headers over
// 16 KB, a malformed request line), or the adapter cannot turn them into a Request (a
// backslash in the path, a bad Host). Node answers those with a bare status line, an empty
// body or a reset. Every answer of the hub is JSON with a message, so these are too.

let hub: TestHub
let server: Server
let port: number
beforeAll(async () => {
  hub = await createTestHub()
  server = await listenHttp(hub.app.fetch, { port: 0, host: '127.0.0.1', logger: hub.deps.logger })
  port = (server.address() as AddressInfo).port
})
afterAll(async () => {
  await stopServer(server)
  await hub.close()
})

type RawAnswer = { status: number; headers: Record<string, string>; body: string }

/** Writes `request` as is on a loopback socket and reads the answer until the server closes. */
function rawRequest(request: string | Buffer): Promise<RawAnswer> {
  return new Promise((done, fail) => {
    const socket = connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (d) => chunks.push(d))
    socket.on('error', fail)
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const [head = '', ...rest] = text.split('\r\n\r\n')
      const [statusLine = '', ...headerLines] = head.split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of headerLines) {
        const colon = line.indexOf(':')
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
      }
      done({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') })
    })
    socket.end(request)
  })
}

const get = (path: string, headers: string[] = ['Host: hub.test']) =>
  rawRequest(`GET ${path} HTTP/1.1\r\n${[...headers, 'Connection: close'].join('\r\n')}\r\n\r\n`)

function expectJsonError(answer: RawAnswer, status: number, message: RegExp) {
  expect({ status: answer.status, type: answer.headers['content-type'] }).toEqual({
    status,
    type: 'application/json',
  })
  const body = JSON.parse(answer.body) as { message: string; code: string; request_id: string }
  expect(body.message).toMatch(message)
  expect(body.code).toEqual(expect.any(String))
  expect(body.request_id).toEqual(expect.any(String))
  expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body))
}

describe('errors raised before the app', () => {
  it('a URL over 16 KB gets a 431 JSON error with a message', async () => {
    expectJsonError(await get(`/v1/company?q=${'a'.repeat(20_000)}`), 431, /16 KB/)
  })

  it('headers over 16 KB get a 431 JSON error too', async () => {
    expectJsonError(
      await get('/healthz', ['Host: hub.test', `Cookie: c=${'x'.repeat(20_000)}`]),
      431,
      /16 KB/,
    )
  })

  it('a malformed request gets a 400 JSON error', async () => {
    expectJsonError(await rawRequest('THIS IS NOT HTTP\r\n\r\n'), 400, /malformed/i)
    expectJsonError(await rawRequest('GET / HTTP/1.1\r\nHost hub.test\r\n\r\n'), 400, /malformed/i)
  })

  it('a request the adapter cannot read (backslash in the path, bad Host) gets a 400 JSON error', async () => {
    expectJsonError(await get('/v1\\company'), 400, /backslash/i)
    expectJsonError(await get('/healthz', ['Host: evil@hub.test']), 400, /host/i)
  })

  it('an HTTP/1.1 request without Host gets a 400 JSON error', async () => {
    expectJsonError(await get('/healthz', []), 400, /Host/)
  })

  it('an Expect header other than 100-continue gets a 417 JSON error', async () => {
    expectJsonError(await get('/healthz', ['Host: hub.test', 'Expect: 200-ok']), 417, /Expect/)
  })

  it('keeps an idle connection open past Node’s 5 s: a client that comes back on it is served', async () => {
    const socket = connect(port, '127.0.0.1')
    let text = ''
    socket.on('data', (d: Buffer) => {
      text += d.toString('utf8')
    })
    const answers = () => text.split('HTTP/1.1 ').length - 1
    const ask = () => socket.write('GET /healthz HTTP/1.1\r\nHost: hub.test\r\n\r\n')
    ask()
    await eventually(() => expect(answers()).toBe(1))
    // Node closes an idle connection 5 s (its default) plus a second of grace after an answer.
    await new Promise((r) => setTimeout(r, 7_000))
    expect(socket.destroyed || socket.readableEnded).toBe(false)
    ask()
    await eventually(() => expect(answers()).toBe(2))
    expect(text).not.toContain('Connection: close')
    socket.destroy()
  }, 15_000)

  it('ordinary requests are served as before, over the same server', async () => {
    const ok = await get('/healthz')
    expect(ok.status).toBe(200)
    expect(JSON.parse(ok.body)).toEqual({ status: 'ok' })
    const missing = await get('/nope')
    expect(missing.status).toBe(404)
    expect(JSON.parse(missing.body)).toMatchObject({ message: 'Not Found', code: 'not_found' })
  })
})
