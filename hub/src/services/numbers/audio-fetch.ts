import { request as httpRequest, type IncomingMessage } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { checkWebhookUrl, publicOnlyLookup, WebhookUrlError } from '../../webhooks/url-safety.ts'
import { isMp3 } from './mp3.ts'

/**
 * Downloads the MP3 behind a public URL (Aircall's `messages` on PUT /v1/numbers/:id take
 * "public audio URLs"). The hub fetching a URL a tenant chose is the same server-side request
 * forgery risk as outgoing webhooks, so it goes through the webhook guard: https only, a host
 * that resolves to public addresses only, and a socket that connects to exactly the address
 * that was checked (publicOnlyLookup). WEBHOOKS_ALLOW_PRIVATE lifts it, as for webhooks.
 * Redirects are followed a few times, each target checked again. The size is counted while
 * streaming (a Content-Length can be missing or lie), and one deadline covers the whole
 * exchange, DNS and redirects included, so a server that trickles bytes is cut off too.
 */

export const AUDIO_FETCH_TIMEOUT_MS = 10_000
export const MAX_AUDIO_FETCH_REDIRECTS = 3

/** Why a URL gave no usable audio; the message is shown to the tenant (no internal address in it). */
export class AudioFetchError extends Error {
  override name = 'AudioFetchError'
}

export type AudioFetchOptions = {
  allowPrivate: boolean
  maxBytes: number
  timeoutMs?: number
  maxRedirects?: number
}

export type FetchedAudio = { bytes: Uint8Array; name: string }

const MIB = 1024 * 1024
const sizeWords = (bytes: number) =>
  bytes % MIB === 0 ? `${bytes / MIB} MB` : `${Math.round(bytes / 1024)} KB`

/** Network errors in words that say what went wrong without echoing addresses (err.message does). */
function networkReason(err: unknown): string {
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
        const declared = Number(res.headers['content-length'])
        if (Number.isFinite(declared) && declared > options.maxBytes) {
          req.destroy()
          reject(tooBig())
          return
        }
        const chunks: Buffer[] = []
        let size = 0
        res.on('data', (chunk: Buffer) => {
          size += chunk.length
          if (size > options.maxBytes) {
            req.destroy()
            reject(tooBig())
            return
          }
          chunks.push(chunk)
        })
        res.on('end', () => resolve({ bytes: new Uint8Array(Buffer.concat(chunks)) }))
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
  const policy = { allowPrivate: options.allowPrivate }
  let url = await checkWebhookUrl(raw, policy)
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
      url = await checkWebhookUrl(answer.redirect.href, policy)
    } catch (err) {
      throw new AudioFetchError(`redirects to a URL that is refused: ${networkReason(err)}`)
    }
  }
}

/**
 * The MP3 at `raw`, or an AudioFetchError saying why not (not https, private address,
 * unreachable, HTTP error, too large, not MP3, too slow).
 */
export async function downloadMp3(raw: string, options: AudioFetchOptions): Promise<FetchedAudio> {
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
    throw new AudioFetchError(networkReason(err))
  } finally {
    clearTimeout(timer)
    // Whatever is still open (a redirect's socket, a body being read) is closed now.
    controller.abort()
  }
}
