import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type AudioFetchOptions, downloadMp3 } from './audio-fetch.ts'

/** MPEG-1 Layer III, 128 kbit/s, 44.1 kHz: 417-byte frames (as in mp3.test.ts). */
function mp3Frames(count: number): Uint8Array {
  const bytes = new Uint8Array(count * 417)
  for (let i = 0; i < count; i++) bytes.set([0xff, 0xfb, 0x90, 0x64], i * 417)
  return bytes
}

const SONG = mp3Frames(20)

const routes: Record<string, RequestListener> = {
  '/song.mp3': (_req, res) => res.writeHead(200, { 'content-type': 'audio/mpeg' }).end(SONG),
  '/Accueil%20%C3%A9t%C3%A9.mp3': (_req, res) => res.writeHead(200).end(SONG),
  '/text.mp3': (_req, res) => res.writeHead(200, { 'content-type': 'audio/mpeg' }).end('just some text'),
  '/empty.mp3': (_req, res) => res.writeHead(200).end(),
  '/gone.mp3': (_req, res) => res.writeHead(410).end('gone'),
  '/moved': (_req, res) => res.writeHead(302, { location: '/song.mp3' }).end(),
  '/loop': (_req, res) => res.writeHead(302, { location: '/loop' }).end(),
  // Announces a big body: refused before reading it.
  '/declared-big.mp3': (_req, res) => {
    res.writeHead(200, { 'content-length': String(SONG.length * 10) })
    res.write(SONG)
  },
  // No Content-Length (chunked): the size is counted while streaming.
  '/streamed-big.mp3': (_req, res) => {
    res.writeHead(200)
    for (let i = 0; i < 10; i++) res.write(SONG)
    res.end()
  },
  // Sends the headers, then nothing: the deadline must cut it off.
  '/slow.mp3': (_req, res) => {
    res.writeHead(200)
    res.write(SONG.subarray(0, 100))
  },
  '/cut.mp3': (req, res) => {
    res.writeHead(200, { 'content-length': String(SONG.length) })
    res.write(SONG.subarray(0, 500))
    setTimeout(() => req.socket.destroy(), 20)
  },
}

let server: Server
let origin: string
const requests: string[] = []
beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '')
    const handler = routes[req.url ?? '']
    if (handler) handler(req, res)
    else res.writeHead(404).end('not found')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

/** Loopback plain http needs the private escape hatch, as WEBHOOKS_ALLOW_PRIVATE gives in tests. */
const loopback: AudioFetchOptions = { allowPrivate: true, maxBytes: SONG.length * 2, timeoutMs: 2000 }

describe('downloadMp3', () => {
  it('downloads an MP3 and names it after the last path segment', async () => {
    const song = await downloadMp3(`${origin}/song.mp3`, loopback)
    expect(song.bytes).toEqual(SONG)
    expect(song.name).toBe('song.mp3')
    expect((await downloadMp3(`${origin}/Accueil%20%C3%A9t%C3%A9.mp3`, loopback)).name).toBe(
      'Accueil été.mp3',
    )
  })

  it('follows a redirect, and gives up on a redirect loop', async () => {
    expect((await downloadMp3(`${origin}/moved`, loopback)).name).toBe('song.mp3')
    await expect(downloadMp3(`${origin}/loop`, loopback)).rejects.toThrow(
      'could not be downloaded: more than 3 redirects',
    )
  })

  it('refuses what is not an MP3, HTTP errors and unreachable hosts, saying why', async () => {
    const cases: [string, string][] = [
      ['/text.mp3', 'is not an MP3 file'],
      ['/empty.mp3', 'is not an MP3 file'],
      ['/gone.mp3', 'could not be downloaded: the server answered HTTP 410'],
      ['/nowhere.mp3', 'could not be downloaded: the server answered HTTP 404'],
    ]
    for (const [path, reason] of cases) {
      await expect(downloadMp3(`${origin}${path}`, loopback), path).rejects.toThrow(reason)
    }
    // A port nothing listens on: take one from a server that is closed again.
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    await expect(downloadMp3(`http://127.0.0.1:${port}/song.mp3`, loopback)).rejects.toThrow(
      'could not be downloaded: connection refused',
    )
  })

  it('refuses bodies over the limit, announced or counted while streaming', async () => {
    for (const path of ['/declared-big.mp3', '/streamed-big.mp3']) {
      await expect(downloadMp3(`${origin}${path}`, loopback), path).rejects.toThrow(
        'is larger than 16 KB (the limit for music and messages)',
      )
    }
  })

  it('cuts off a server that stalls or drops the connection', async () => {
    const started = Date.now()
    await expect(downloadMp3(`${origin}/slow.mp3`, { ...loopback, timeoutMs: 300 })).rejects.toThrow(
      'could not be downloaded within 0.3 s',
    )
    expect(Date.now() - started).toBeLessThan(2000)
    await expect(downloadMp3(`${origin}/cut.mp3`, loopback)).rejects.toThrow(/could not be downloaded/)
  })

  it('without the escape hatch: https only, public hosts only, checked before connecting', async () => {
    const strict: AudioFetchOptions = { allowPrivate: false, maxBytes: 1024 * 1024, timeoutMs: 2000 }
    const before = requests.length
    const port = new URL(origin).port
    const cases: [string, RegExp][] = [
      [`${origin}/song.mp3`, /must be an https URL/],
      [`https://127.0.0.1:${port}/song.mp3`, /private, loopback or reserved address/],
      [`https://[::1]:${port}/song.mp3`, /private, loopback or reserved address/],
      [`https://localhost:${port}/song.mp3`, /not a public host name/],
      ['https://169.254.169.254/latest/meta-data', /private, loopback or reserved address/],
      ['ftp://example.com/song.mp3', /must be an https URL/],
      ['not a url', /must be an absolute http\(s\) URL/],
    ]
    for (const [url, reason] of cases) await expect(downloadMp3(url, strict), url).rejects.toThrow(reason)
    expect(requests.length).toBe(before)
  })
})
