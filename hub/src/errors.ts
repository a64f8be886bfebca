import type { ErrorBody, ErrorCode } from '@switchboard/shared'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

export function statusOf(code: ErrorCode): ContentfulStatusCode {
  switch (code) {
    case 'bad_request':
      return 400
    case 'unauthorized':
      return 401
    case 'forbidden':
      return 403
    case 'not_found':
      return 404
    case 'not_allowed':
      return 405
    case 'conflict':
      return 409
    case 'payload_too_large':
      return 413
    case 'unprocessable':
      return 422
    case 'rate_limited':
      return 429
    case 'unavailable':
      return 503
    case 'internal':
      return 500
  }
}

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

/** The one error type handlers and services throw; the app's onError turns it into JSON. */
export class ApiError extends HTTPException {
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly extra: { field?: string; details?: { field: string; message: string }[] } = {},
  ) {
    super(statusOf(code), { message: message ?? defaultMessages[code] })
  }

  body(requestId?: string): ErrorBody {
    return { message: this.message, code: this.code, request_id: requestId, ...this.extra }
  }
}

export const notFound = (what = 'Not Found') => new ApiError('not_found', what)
export const badRequest = (field: string, message: string) =>
  new ApiError('bad_request', `${field}: ${message}`, { field, details: [{ field, message }] })
