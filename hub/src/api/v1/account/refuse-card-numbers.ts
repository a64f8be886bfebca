import { createMiddleware } from 'hono/factory'
import { DomainError } from '../../../core/errors.ts'
import { containsCardNumber } from '../../../services/billing/card-number.ts'
import type { AppEnv } from '../../context.ts'

export const CARD_NUMBER_REFUSED =
  "card numbers are never sent to Switchboard; use your payment provider's token"

/** The JSON path of the first value holding a card number, for the error's `field`. */
function fieldOf(value: unknown, path: string[] = []): string | null {
  if (typeof value === 'string' || typeof value === 'number') {
    return containsCardNumber(String(value)) ? path.join('.') || '(body)' : null
  }
  if (value && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      const found = fieldOf(inner, [...path, key])
      if (found) return found
    }
  }
  return null
}

/**
 * Runs before body validation: a card number anywhere in the raw body (any field, known or
 * not, even in malformed JSON) is refused with a 400 that tells the client what to do, and
 * the body goes no further (never validated, stored nor logged). PCI scope stays with the
 * payment provider.
 */
export const refuseCardNumbers = createMiddleware<AppEnv>(async (c, next) => {
  const text = await c.req.text()
  if (containsCardNumber(text)) {
    let field = '(body)'
    try {
      field = fieldOf(JSON.parse(text)) ?? field
    } catch {
      // not JSON: the whole body is the culprit
    }
    throw new DomainError('bad_request', CARD_NUMBER_REFUSED, {
      field,
      details: [{ field, message: CARD_NUMBER_REFUSED }],
    })
  }
  await next()
})
