/**
 * Why a connector call failed, closed so the sync worker can decide in one switch:
 * - `rate_limited`: the CRM throttled us; wait `retryAfterMs` and try again.
 * - `unavailable`: the CRM (or the network to it) failed or timed out; try again later.
 *   The write may have happened: look the activity up before creating it again.
 * - `reauth`: the grant is gone (revoked, refresh token refused); a person must reconnect.
 * - `forbidden`: the token lacks a scope or permission, or an org limit refuses the call.
 * - `invalid`: the CRM rejected what we sent; sending it again will not help.
 * - `not_found`: the record or activity does not exist (any more).
 * - `conflict`: a record with the same unique value exists.
 */
export const connectorErrorCodes = [
  'rate_limited',
  'unavailable',
  'reauth',
  'forbidden',
  'invalid',
  'not_found',
  'conflict',
] as const
export type ConnectorErrorCode = (typeof connectorErrorCodes)[number]

const MAX_MESSAGE = 500

const retryableCodes: ReadonlySet<ConnectorErrorCode> = new Set(['rate_limited', 'unavailable'])

export class ConnectorError extends Error {
  override readonly name = 'ConnectorError'
  readonly code: ConnectorErrorCode
  /** Whether the same call may succeed later without a person doing anything. */
  readonly retryable: boolean
  /** How long to wait before retrying, when the CRM said (429 headers) or its policy is known. */
  readonly retryAfterMs: number | null
  /** The CRM answered 401 / invalid_grant: the connection needs a new authorisation. */
  readonly reauth: boolean
  /** HTTP status from the CRM, when there was one. */
  readonly status: number | null
  /** The CRM's own error code (HubSpot `category`, Salesforce `errorCode`, OAuth `error`). */
  readonly vendorCode: string | null

  constructor(
    code: ConnectorErrorCode,
    message: string,
    opts: {
      status?: number | null
      vendorCode?: string | null
      retryAfterMs?: number | null
      cause?: unknown
    } = {},
  ) {
    // A CRM (or a proxy before it) may answer with megabytes of HTML that SDKs put in the
    // message; the message goes to logs and to the admin's sync status, so it is kept short.
    super(message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message, { cause: opts.cause })
    this.code = code
    this.retryable = retryableCodes.has(code)
    this.retryAfterMs = opts.retryAfterMs ?? null
    this.reauth = code === 'reauth'
    this.status = opts.status ?? null
    this.vendorCode = opts.vendorCode ?? null
  }

  /** The name the hub's job registry uses (`retry: false` → unrecoverable). */
  get retry(): boolean {
    return this.retryable
  }
}

/** A 2xx answer that is not JSON, or not of the shape the CRM documents: a retryable glitch. */
export function malformedAnswer(vendor: string, cause?: unknown): ConnectorError {
  return new ConnectorError('unavailable', `${vendor} sent a malformed answer`, { cause })
}

export function isConnectorError(e: unknown): e is ConnectorError {
  return e instanceof ConnectorError
}

/** `Retry-After` as seconds or an HTTP date, in ms from `now`; null when absent or unparsable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (!value) return null
  const trimmed = value.trim()
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000)
  const at = Date.parse(trimmed)
  return Number.isNaN(at) ? null : Math.max(0, at - now)
}

/** The error code for an HTTP status that carries no better hint. */
export function codeForStatus(status: number): ConnectorErrorCode {
  if (status === 401) return 'reauth'
  if (status === 403) return 'forbidden'
  if (status === 404) return 'not_found'
  if (status === 409) return 'conflict'
  if (status === 429) return 'rate_limited'
  if (status >= 500 || status === 408) return 'unavailable'
  return 'invalid'
}
