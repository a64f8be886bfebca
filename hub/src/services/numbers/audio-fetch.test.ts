import { createServer, type RequestListener, type Server } from 'node:http'
import { type AddressInfo, createServer as createTcpServer, type Server as TcpServer } from 'node:net'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  type AudioFetchOptions,
  audioDownloadLoad,
  downloadFailureReason,
  downloadMp3,
  MAX_AUDIO_DOWNLOADS_PER_COMPANY,
  MAX_CONCURRENT_AUDIO_DOWNLOADS,
} from './audio-fetch.ts'

/** MPEG-1 Layer III, 128 kbit/s, 44.1 kHz: 417-byte frames (as in mp3.test.ts). */
function mp3Frames(count: number): Uint8Array {
  const bytes = new Uint8Array(count * 417)
  for (let i = 0; i < count; i++) bytes.set([0xff, 0xfb, 0x90, 0x64], i * 417)
  return bytes
}

const SONG = mp3Frames(20)

/** While `holding`, requests to /held.mp3 wait in `held` until the test answers them. */
const held: (() => void)[] = []
let holding = true

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
  // Announced, then sent in small pieces.
  '/announced.mp3': (_req, res) => {
    res.writeHead(200, { 'content-length': String(SONG.length) })
    for (let at = 0; at < SONG.length; at += 1000) res.write(SONG.subarray(at, at + 1000))
    res.end()
  },
  // Not announced (chunked), in small pieces.
  '/chunked.mp3': (_req, res) => {
    res.writeHead(200)
    for (let at = 0; at < SONG.length; at += 1000) res.write(SONG.subarray(at, at + 1000))
    res.end()
  },
  '/held.mp3': (_req, res) => {
    const answer = () => res.writeHead(200).end(SONG)
    if (holding) held.push(answer)
    else answer()
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
/** Holds a loopback port and resets every connection: nothing else can take the port meanwhile. */
let resetter: TcpServer
let resetPort: number
beforeAll(async () => {
  resetter = createTcpServer((socket) => socket.resetAndDestroy())
  await new Promise<void>((resolve) => resetter.listen(0, '127.0.0.1', resolve))
  resetPort = (resetter.address() as AddressInfo).port
})
afterAll(async () => {
  await new Promise<void>((resolve) => resetter.close(() => resolve()))
})
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

/** Loopback plain http needs the private escape hatch (AUDIO_URLS_ALLOW_PRIVATE in a hub). */
const loopback: AudioFetchOptions = {
  companyId: 1,
  allowPrivate: true,
  maxBytes: SONG.length * 2,
  timeoutMs: 2000,
}

describe('downloadMp3', () => {
  it('reads a body whether its size is announced or not, byte for byte', async () => {
    for (const path of ['/announced.mp3', '/chunked.mp3']) {
      const song = await downloadMp3(`${origin}${path}`, loopback)
      expect(song.bytes, path).toEqual(SONG)
    }
  })

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
    await expect(downloadMp3(`http://127.0.0.1:${resetPort}/song.mp3`, loopback)).rejects.toThrow(
      'could not be downloaded: the connection was reset',
    )
  })

  it('names network failures without the addresses the system error carries', () => {
    const failure = (code: string) =>
      Object.assign(new Error(`connect ${code} 10.1.2.3:443 internal.corp`), { code })
    const cases: [string, string][] = [
      ['ECONNREFUSED', 'could not be downloaded: connection refused'],
      ['ENOTFOUND', 'could not be downloaded: host not found'],
      ['ECONNRESET', 'could not be downloaded: the connection was reset'],
      ['EHOSTUNREACH', 'could not be downloaded: host unreachable'],
      ['DEPTH_ZERO_SELF_SIGNED_CERT', 'could not be downloaded: the TLS certificate is not valid'],
      ['EWHATEVER', 'could not be downloaded'],
    ]
    for (const [code, reason] of cases) expect(downloadFailureReason(failure(code)), code).toBe(reason)
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
    await expect(downloadMp3(`${origin}/slow.mp3`, { ...loopback, timeoutMs: 200 })).rejects.toThrow(
      'could not be downloaded within 0.2 s',
    )
    // The server never ends the body: only the deadline ends the wait (loose bound for busy CI).
    expect(Date.now() - started).toBeLessThan(10_000)
    await expect(downloadMp3(`${origin}/cut.mp3`, loopback)).rejects.toThrow(/could not be downloaded/)
  })

  it('without the escape hatch: https only, public hosts only, checked before connecting', async () => {
    const strict: AudioFetchOptions = {
      companyId: 1,
      allowPrivate: false,
      maxBytes: 1024 * 1024,
      timeoutMs: 2000,
    }
    const before = requests.length
    const port = new URL(origin).port
    const cases: [string, RegExp][] = [
      [`${origin}/song.mp3`, /^must be an https URL: audio is only downloaded over https$/],
      [`https://127.0.0.1:${port}/song.mp3`, /private, loopback or reserved address/],
      [`https://[::1]:${port}/song.mp3`, /private, loopback or reserved address/],
      [`https://localhost:${port}/song.mp3`, /not a public host name/],
      ['https://169.254.169.254/latest/meta-data', /private, loopback or reserved address/],
      ['ftp://example.com/song.mp3', /^must be an https URL: audio is only downloaded over https$/],
      ['not a url', /^must be an absolute https URL$/],
    ]
    for (const [url, reason] of cases) await expect(downloadMp3(url, strict), url).rejects.toThrow(reason)
    expect(requests.length).toBe(before)
  })

  it('with the escape hatch: http too, but no other scheme', async () => {
    await expect(downloadMp3('ftp://example.com/song.mp3', loopback)).rejects.toThrow(
      /^must be an http or https URL$/,
    )
  })
})

describe('downloads at once in the process', () => {
  /** Loopback answers within milliseconds; the margin is for a busy CI machine. */
  const WAIT = { timeout: 5000, interval: 10 }
  it(`runs at most ${MAX_CONCURRENT_AUDIO_DOWNLOADS}, ${MAX_AUDIO_DOWNLOADS_PER_COMPANY} per company; the others wait, then all finish`, async () => {
    const companies = MAX_CONCURRENT_AUDIO_DOWNLOADS / MAX_AUDIO_DOWNLOADS_PER_COMPANY
    const perCompany = MAX_AUDIO_DOWNLOADS_PER_COMPANY + 1
    const total = companies * perCompany
    const runs = Array.from({ length: total }, (_, i) =>
      downloadMp3(`${origin}/held.mp3`, { ...loopback, companyId: 100 + (i % companies), timeoutMs: 30_000 }),
    )
    // Each company's first downloads reach the server; its last one is queued, not connecting.
    await vi.waitFor(() => {
      expect(held).toHaveLength(MAX_CONCURRENT_AUDIO_DOWNLOADS)
      expect(audioDownloadLoad()).toEqual({ active: MAX_CONCURRENT_AUDIO_DOWNLOADS, waiting: companies })
    }, WAIT)
    expect(audioDownloadLoad(100)).toEqual({ active: MAX_AUDIO_DOWNLOADS_PER_COMPANY, waiting: 1 })
    // Each answer frees a slot for one waiting download.
    held.shift()!()
    await vi.waitFor(() => expect(audioDownloadLoad().waiting).toBe(companies - 1), WAIT)
    await vi.waitFor(() => expect(held).toHaveLength(MAX_CONCURRENT_AUDIO_DOWNLOADS), WAIT)
    holding = false
    for (const answer of held.splice(0)) answer()
    const songs = await Promise.all(runs)
    expect(songs.map((s) => s.bytes.length)).toEqual(new Array(total).fill(SONG.length))
    expect(audioDownloadLoad()).toEqual({ active: 0, waiting: 0 })
  })
})
