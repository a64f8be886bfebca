/** Closed list of error codes the API answers with; the hub maps each to one HTTP status. */
export const errorCodes = [
  'bad_request',
  'unauthorized',
  'forbidden',
  'not_found',
  'not_allowed',
  'conflict',
  'unprocessable',
  'rate_limited',
  'payload_too_large',
  'internal',
  'unavailable',
] as const
export type ErrorCode = (typeof errorCodes)[number]

/** Body of every error response. `message` matches Aircall's shape; the rest is ours. */
export type ErrorBody = {
  message: string
  code: ErrorCode
  request_id?: string
  field?: string
  details?: { field: string; message: string }[]
}
