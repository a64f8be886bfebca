import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { publicOnlyLookup } from './url-safety.ts'

export type PostResponse = { status: number; bodySnippet: string }

const SNIPPET_BYTES = 512

/**
 * POSTs a body and resolves with the status (any status: the caller decides what counts as
 * delivered); rejects on network errors and when the whole exchange exceeds timeoutMs.
 * Redirects are not followed (a 3xx is an answer, and following it could lead to a private
 * address). node:http rather than fetch so the socket can use publicOnlyLookup.
 */
export function postJson(
  url: URL,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; allowPrivate: boolean },
): Promise<PostResponse> {
  return new Promise((resolve, reject) => {
    let settled = false
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
        lookup: options.allowPrivate ? undefined : publicOnlyLookup,
        // A fresh connection per delivery: a pooled keep-alive socket the receiver is closing
        // at that moment fails with "socket hang up" and would count against the webhook.
        agent: false,
      },
      (res) => {
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
      const err = new Error(`timed out after ${options.timeoutMs} ms`)
      settle(() => reject(err))
      req.destroy(err)
    }, options.timeoutMs)
    req.on('error', (err) => settle(() => reject(err)))
    req.end(body)
  })
}
