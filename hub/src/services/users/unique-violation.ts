/**
 * Name of the unique constraint a failed insert/update hit, or undefined. drizzle wraps the
 * driver error in `cause`; PGlite names the constraint `constraint`, postgres-js `constraint_name`.
 */
export function uniqueViolation(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    // Only reads optional properties typed unknown, so any object fits this shape.
    const fields = e as { code?: unknown; constraint?: unknown; constraint_name?: unknown; cause?: unknown }
    if (fields.code === '23505') {
      const name = fields.constraint ?? fields.constraint_name
      return typeof name === 'string' ? name : ''
    }
    e = fields.cause
  }
  return undefined
}
