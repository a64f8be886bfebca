import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { newSigningSecret, newWebhookToken, signPayload, verifySignature } from './signature.ts'

describe('webhook signatures', () => {
  const secret = 'whsec_test'
  const body = '{"resource":"user","event":"user.created","timestamp":1700000000,"token":"t","data":{}}'

  it('is v1=hex(HMAC-SHA256(secret, "<timestamp>.<body>")), as documented', () => {
    const expected = createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex')
    expect(signPayload(secret, 1700000000, body)).toBe(`v1=${expected}`)
  })

  it('verifies a genuine signature and refuses tampering, other secrets and stale timestamps', () => {
    const signature = signPayload(secret, 1700000000, body)
    const base = { secret, rawBody: body, timestamp: '1700000000', signature, nowSec: 1700000010 }
    expect(verifySignature(base)).toBe(true)
    expect(verifySignature({ ...base, signature: `v1=deadbeef, ${signature}` })).toBe(true)
    expect(verifySignature({ ...base, rawBody: body.replace('user.created', 'user.deleted') })).toBe(false)
    expect(verifySignature({ ...base, secret: 'whsec_other' })).toBe(false)
    expect(verifySignature({ ...base, timestamp: '1700000001' })).toBe(false)
    expect(verifySignature({ ...base, nowSec: 1700000000 + 301 })).toBe(false)
    expect(verifySignature({ ...base, signature: null })).toBe(false)
    expect(verifySignature({ ...base, timestamp: 'soon' })).toBe(false)
  })

  it('makes distinct secrets and tokens', () => {
    expect(newSigningSecret()).toMatch(/^whsec_[\w-]{32}$/)
    expect(newSigningSecret()).not.toBe(newSigningSecret())
    expect(newWebhookToken()).toMatch(/^[0-9a-f]{32}$/)
  })
})
