import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * Signature of outgoing webhooks — on top of Aircall's scheme, which only puts the webhook's
 * `token` in the body (receivers written for Aircall keep working: the body is the same).
 *
 * Every delivery carries:
 *   X-Switchboard-Timestamp: <t>            UNIX seconds when the request was built (= body.timestamp)
 *   X-Switchboard-Signature: v1=<hex>       hex(HMAC-SHA256(key = the webhook's signing_secret,
 *                                               message = "<t>.<raw request body>"))
 *
 * To verify: take the raw body bytes exactly as received (before any JSON parsing), compute
 * the HMAC of `${timestamp}.${body}` with the `whsec_…` secret returned once by
 * POST /v1/webhooks, compare it in constant time with the hex after `v1=`, and refuse
 * timestamps more than 5 minutes from your clock (replay protection). The header may one day
 * list several comma-separated `v1=` values (secret rotation): accept if any matches.
 */
export const SIGNATURE_HEADER = 'X-Switchboard-Signature'
export const TIMESTAMP_HEADER = 'X-Switchboard-Timestamp'

/** A new signing secret (`whsec_…`), shown once at creation. */
export const newSigningSecret = () => `whsec_${randomBytes(24).toString('base64url')}`

/** A new Aircall-style body token: the receiver compares it with the webhook's token. */
export const newWebhookToken = () => randomBytes(16).toString('hex')

export function signPayload(secret: string, timestamp: number, rawBody: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`
}

/** What a receiver does; used by our tests and documented for integrators. */
export function verifySignature(input: {
  secret: string
  rawBody: string
  timestamp: string | null | undefined
  signature: string | null | undefined
  nowSec: number
  toleranceSec?: number
}): boolean {
  const t = Number(input.timestamp)
  if (!input.timestamp || !Number.isInteger(t)) return false
  if (Math.abs(input.nowSec - t) > (input.toleranceSec ?? 300)) return false
  const expected = Buffer.from(signPayload(input.secret, t, input.rawBody))
  return (input.signature ?? '')
    .split(',')
    .map((s) => Buffer.from(s.trim()))
    .some((candidate) => candidate.length === expected.length && timingSafeEqual(candidate, expected))
}
