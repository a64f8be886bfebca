import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { ErrorCode } from '../core/errors.ts'

/** The one place a domain error code becomes an HTTP status (exhaustive: a new code must be mapped). */
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
