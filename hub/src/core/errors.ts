import type { ErrorBody, ErrorCode } from '@switchboard/shared'

export { type ErrorCode, errorCodes } from '@switchboard/shared'

const defaultMessages: Record<ErrorCode, string> = {
  bad_request: 'Bad Request',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  not_found: 'Not Found',
  not_allowed: 'Not Allowed',
  conflict: 'Conflict',
  unprocessable: 'Unprocessable Entity',
  rate_limited: 'Too Many Requests',
  payload_too_large: 'Payload Too Large',
  internal: 'Internal Server Error',
  unavailable: 'Service Unavailable',
}

export type ErrorDetails = { field?: string; details?: { field: string; message: string }[] }

/**
 * The one error services, the admin socket and the CLI throw for a refusal the caller can act
 * on. It knows no transport: the HTTP edge maps `code` to a status (api/http-errors.ts), the
 * CLI to an exit code. Anything else thrown is an internal failure, answered opaquely.
 */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly extra: ErrorDetails = {},
  ) {
    super(message ?? defaultMessages[code])
    this.name = 'DomainError'
  }

  get field(): string | undefined {
    return this.extra.field
  }

  body(requestId?: string): ErrorBody {
    return { message: this.message, code: this.code, request_id: requestId, ...this.extra }
  }
}

export const notFound = (what = 'Not Found') => new DomainError('not_found', what)
export const badRequest = (field: string, message: string) =>
  new DomainError('bad_request', `${field}: ${message}`, { field, details: [{ field, message }] })

/**
 * A refusal that tells the client when to come back (the route sets `Retry-After`). Services
 * throw it; the HTTP edge maps the code as for any other error.
 */
export class RetryLaterError extends DomainError {
  constructor(
    code: 'rate_limited' | 'unavailable',
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(code, message)
  }
}
