import { createHash, timingSafeEqual } from 'node:crypto'

/** Hex SHA-256: what we store instead of API tokens, session tokens and one-time links. */
export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex')

/** Constant-time string comparison (lengths may differ: then false, without a timing hint on content). */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a)
  const bb = Buffer.from(b)
  return ab.length === bb.length && timingSafeEqual(ab, bb)
}
