import { DomainError, type ErrorCode, errorCodes, RetryLaterError } from '../core/errors.ts'

/**
 * A small client of the hub's public HTTP API for the commands that act as an API user
 * (`sb simulate`, the simulated devices of `sb demo`): Basic auth with a company API key, JSON
 * bodies, Aircall's error shape turned back into DomainError. A 429 is waited out (Retry-After,
 * else X-AircallApi-Reset) by every request at once, since they share the company's window.
 */
export type HubApi = {
  readonly base: string
  request(method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<ApiAnswer>
}
export type ApiAnswer = { status: number; body: unknown }

/** `api_id:api_token` as `sb setup` and `sb demo` print them. */
export function parseApiKey(text: string): { apiId: string; apiToken: string } | null {
  const at = text.indexOf(':')
  if (at < 1 || at === text.length - 1) return null
  return { apiId: text.slice(0, at).trim(), apiToken: text.slice(at + 1).trim() }
}

export function createHubApi(options: {
  base: string
  apiId: string
  apiToken: string
  /** Most 429 waits in a row before giving up on one request. */
  maxRateLimitWaits?: number
  sleep?: (ms: number) => Promise<void>
}): HubApi {
  const base = options.base.replace(/\/+$/, '')
  const auth = `Basic ${Buffer.from(`${options.apiId}:${options.apiToken}`).toString('base64')}`
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  let pausedUntil = 0
  return {
    base,
    async request(method, path, body) {
      for (let waits = 0; ; waits++) {
        const pause = pausedUntil - Date.now()
        if (pause > 0) await sleep(pause)
        let res: Response
        try {
          res = await fetch(`${base}${path}`, {
            method,
            headers: {
              authorization: auth,
              accept: 'application/json',
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            },
            body: body === undefined ? undefined : JSON.stringify(body),
          })
        } catch (err) {
          throw new DomainError(
            'unavailable',
            `cannot reach the hub at ${base} (${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}); is it running? Pass --hub <url> otherwise`,
          )
        }
        const text = await res.text()
        let parsed: unknown = null
        try {
          parsed = text ? JSON.parse(text) : null
        } catch {
          parsed = text
        }
        if (res.status === 429 && waits < (options.maxRateLimitWaits ?? 20)) {
          const retryAfter = Number(res.headers.get('retry-after'))
          const reset = Number(res.headers.get('x-aircallapi-reset'))
          const waitMs =
            Number.isFinite(retryAfter) && retryAfter > 0
              ? retryAfter * 1000
              : Number.isFinite(reset) && reset > 0
                ? Math.max(250, reset * 1000 - Date.now())
                : 1000
          pausedUntil = Math.max(pausedUntil, Date.now() + waitMs)
          continue
        }
        if (res.status >= 200 && res.status < 300) return { status: res.status, body: parsed }
        const code = prop(parsed, 'code')
        const retryAfter = Number(res.headers.get('retry-after'))
        if (res.status === 503 && retryAfter > 0)
          // The hub is saturated for now (a new call refused busy): the caller may come back.
          throw new RetryLaterError(
            'unavailable',
            `${method} ${path}: ${prop(parsed, 'message') ?? 'HTTP 503'}`,
            retryAfter,
          )
        throw new DomainError(
          res.status === 401 || res.status === 403
            ? 'unauthorized'
            : errorCodes.includes(code as ErrorCode)
              ? (code as ErrorCode)
              : res.status === 404
                ? 'not_found'
                : 'internal',
          `${method} ${path}: ${prop(parsed, 'message') ?? `HTTP ${res.status}`}`,
          { field: prop(parsed, 'field') },
        )
      }
    },
  }
}

function prop(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null || !(key in value)) return undefined
  const v: unknown = Reflect.get(value, key)
  return typeof v === 'string' ? v : undefined
}
