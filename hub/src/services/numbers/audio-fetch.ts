import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { createFairSlots } from '../../core/fair-slots.ts'
import { checkWebhookUrl, publicOnlyLookup, WebhookUrlError } from '../../webhooks/url-safety.ts'
import { isMp3 } from './mp3.ts'

/**
 * Downloads the MP3 behind a public URL (Aircall's `messages` on PUT /v1/numbers/:id take
 * "public audio URLs"). The hub fetching a URL a tenant chose is the same server-side request
 * forgery risk as outgoing webhooks, so it goes through the webhook guard: https only, a host
 * that resolves to public addresses only, and a socket that connects to exactly the address
 * that was checked (publicOnlyLookup). `allowPrivate` (AUDIO_URLS_ALLOW_PRIVATE, separate from
 * the webhooks' setting) lifts it. Redirects are followed a few times, each target checked
 * again. The size is counted while streaming (a Content-Length can be missing or lie), and one
 * deadline covers the whole exchange, DNS and redirects included, so a server that trickles
 * bytes is cut off too.
 *
 * Memory and fairness: at most MAX_CONCURRENT_AUDIO_DOWNLOADS downloads run at once in the
 * process, and at most MAX_AUDIO_DOWNLOADS_PER_COMPANY of them for one company; the others wait
 * for a slot (the deadline starts with the slot), and a free slot goes to the company that runs
 * the fewest (core/fair-slots.ts). So a company naming slow URLs only ever waits behind its own
 * downloads: another company's download starts at once. Each download holds one copy of its
 * body: written into a buffer of the announced size as it arrives, or joined once at the end.
 */

export const AUDIO_FETCH_TIMEOUT_MS = 10_000
export const MAX_AUDIO_FETCH_REDIRECTS = 3
/** Downloads running at once in this process, whatever the number of requests and companies asking. */
export const MAX_CONCURRENT_AUDIO_DOWNLOADS = 6
/** Downloads one company may run at once: the others are left for other companies. */
export const MAX_AUDIO_DOWNLOADS_PER_COMPANY = 2

const downloadSlots = createFairSlots({
  total: MAX_CONCURRENT_AUDIO_DOWNLOADS,
  perKey: MAX_AUDIO_DOWNLOADS_PER_COMPANY,
})

/** Downloads running and waiting for a slot, in the process or for one company (for logs and tests). */
export const audioDownloadLoad = (companyId?: number) => downloadSlots.load(companyId)

/** Why a URL gave no usable audio; the message is shown to the tenant (no internal address in it). */
export class AudioFetchError extends Error {
  override name = 'AudioFetchError'
}

export type AudioFetchOptions = {
  /** The company asking: downloads share the process's slots fairly between companies. */
  companyId: number
  allowPrivate: boolean
  maxBytes: number
  timeoutMs?: number
  maxRedirects?: number
}

export type FetchedAudio = { bytes: Uint8Array; name: string }

const MIB = 1024 * 1024
const sizeWords = (bytes: number) =>
  bytes % MIB === 0 ? `${bytes / MIB} MB` : `${Math.round(bytes / 1024)} KB`

/**
 * Why a download failed, in words for the tenant that say what went wrong without echoing
 * addresses (a network error's own message does).
 */
export function downloadFailureReason(err: unknown): string {
  if (err instanceof AudioFetchError) return err.message
  if (err instanceof WebhookUrlError) return err.message
  const code = err instanceof Error && 'code' in err ? String(err.code) : ''
  switch (code) {
    case 'ECONNREFUSED':
      return 'could not be downloaded: connection refused'
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'could not be downloaded: host not found'
    case 'ECONNRESET':
    case 'EPIPE':
      return 'could not be downloaded: the connection was reset'
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'could not be downloaded: host unreachable'
    default:
      if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
        return 'could not be downloaded: the TLS certificate is not valid'
      }
      return 'could not be downloaded'
  }
}

type Answer = { redirect: URL } | { bytes: Uint8Array }

function getOnce(url: URL, options: AudioFetchOptions, signal: AbortSignal): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = url.protocol === 'https:' ? httpsRequest : httpRequest
    const req = request(
      url,
      {
        method: 'GET',
        headers: { accept: 'audio/mpeg, audio/*;q=0.9, */*;q=0.5', 'user-agent': 'Switchboard' },
        lookup: options.allowPrivate ? undefined : publicOnlyLookup,
        // Never a pooled socket: each download connects through the address check above.
        agent: false,
        signal,
      },
      (res: IncomingMessage) => {
        const status = res.statusCode ?? 0
        const location = res.headers.location
        if (status >= 300 && status < 400 && location) {
          res.resume()
          try {
            resolve({ redirect: new URL(location, url) })
          } catch {
            reject(new AudioFetchError(`could not be downloaded: HTTP ${status} to a malformed location`))
          }
          return
        }
        if (status < 200 || status >= 300) {
          res.resume()
          reject(new AudioFetchError(`could not be downloaded: the server answered HTTP ${status}`))
          return
        }
        const tooBig = () =>
          new AudioFetchError(
            `is larger than ${sizeWords(options.maxBytes)} (the limit for music and messages)`,
          )
        const header = res.headers['content-length']
        const declared = header === undefined ? Number.NaN : Number(header)
        if (Number.isFinite(declared) && declared > options.maxBytes) {
          req.destroy()
          reject(tooBig())
          return
        }
        // One copy of the body: the announced size is allocated once and filled as bytes
        // arrive; without it, the chunks are kept and joined once at the end.
        const body = Number.isSafeInteger(declared) && declared >= 0 ? new Uint8Array(declared) : null
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > options.maxBytes || (body && size > body.length)) {
            req.destroy()
            reject(tooBig())
            return
          }
          if (body) body.set(chunk, size - chunk.length)
          else chunks.push(chunk)
        })
        res.on('end', () => {
          if (body && size !== body.length) {
            reject(new AudioFetchError('could not be downloaded: the connection closed before the end'))
            return
          }
          resolve({ bytes: body ?? joinChunks(chunks, size) })
        })
        res.on('error', reject)
        res.on('close', () => {
          if (!res.complete) {
            reject(new AudioFetchError('could not be downloaded: the connection closed before the end'))
          }
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/** The chunks in one array of `size` bytes; the chunks are let go as they are copied. */
function joinChunks(chunks: Buffer[], size: number): Uint8Array {
  const bytes = new Uint8Array(size)
  let at = 0
  for (const chunk of chunks.splice(0)) {
    bytes.set(chunk, at)
    at += chunk.length
  }
  return bytes
}

/**
 * Checks what needs no network: an absolute URL, https (or http when private addresses are
 * allowed). The words are the audio download's own (webhooks have theirs in url-safety.ts).
 */
function parseAudioUrl(raw: string, options: AudioFetchOptions): URL {
  const allowed = options.allowPrivate ? 'http or https URL' : 'https URL'
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new AudioFetchError(`must be an absolute ${allowed}`)
  }
  if (url.protocol === 'https:' || (url.protocol === 'http:' && options.allowPrivate)) return url
  throw new AudioFetchError(
    options.allowPrivate
      ? `must be an ${allowed}`
      : `must be an ${allowed}: audio is only downloaded over https`,
  )
}

/** parseAudioUrl, then the address checks of the webhook guard (DNS included). */
async function checkAudioUrl(raw: string, options: AudioFetchOptions): Promise<URL> {
  parseAudioUrl(raw, options)
  return checkWebhookUrl(raw, { allowPrivate: options.allowPrivate })
}

/** The last path segment, decoded: the stored file's name (the caller makes it safe). */
function nameOf(url: URL): string {
  const leaf = url.pathname.split('/').pop() ?? ''
  try {
    return decodeURIComponent(leaf)
  } catch {
    return leaf
  }
}

async function download(raw: string, options: AudioFetchOptions, signal: AbortSignal): Promise<FetchedAudio> {
  let url = await checkAudioUrl(raw, options)
  const maxRedirects = options.maxRedirects ?? MAX_AUDIO_FETCH_REDIRECTS
  for (let hop = 0; ; hop++) {
    const answer = await getOnce(url, options, signal)
    if ('bytes' in answer) {
      if (answer.bytes.length === 0 || !isMp3(answer.bytes)) {
        throw new AudioFetchError('is not an MP3 file (an ID3 tag or MPEG audio frames expected)')
      }
      return { bytes: answer.bytes, name: nameOf(url) }
    }
    if (hop >= maxRedirects) {
      throw new AudioFetchError(`could not be downloaded: more than ${maxRedirects} redirects`)
    }
    try {
      url = await checkAudioUrl(answer.redirect.href, options)
    } catch (err) {
      throw new AudioFetchError(`redirects to a URL that is refused: ${downloadFailureReason(err)}`)
    }
  }
}

/**
 * The MP3 at `raw`, or an AudioFetchError saying why not (not https, private address,
 * unreachable, HTTP error, too large, not MP3, too slow). A malformed URL is refused at once;
 * anything else waits for a download slot of the company.
 */
export async function downloadMp3(raw: string, options: AudioFetchOptions): Promise<FetchedAudio> {
  parseAudioUrl(raw, options)
  return downloadSlots.run(options.companyId, () => downloadWithin(raw, options))
}

/** One download under its deadline. */
async function downloadWithin(raw: string, options: AudioFetchOptions): Promise<FetchedAudio> {
  const timeoutMs = options.timeoutMs ?? AUDIO_FETCH_TIMEOUT_MS
  const controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new AudioFetchError(`could not be downloaded within ${Math.round(timeoutMs / 100) / 10} s`))
      controller.abort()
    }, timeoutMs)
  })
  try {
    return await Promise.race([download(raw, options, controller.signal), deadline])
  } catch (err) {
    throw new AudioFetchError(downloadFailureReason(err))
  } finally {
    clearTimeout(timer)
    // Whatever is still open (a redirect's socket, a body being read) is closed now.
    controller.abort()
  }
}
