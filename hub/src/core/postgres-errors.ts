/**
 * Reading PostgreSQL errors. drizzle wraps the driver's error in `cause`; PGlite names the
 * constraint `constraint`, postgres-js `constraint_name`, both carry the SQLSTATE in `code`.
 */

type PgErrorFields = { code?: unknown; constraint?: unknown; constraint_name?: unknown; cause?: unknown }

function findPgError(err: unknown): PgErrorFields | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    // Only reads optional properties typed unknown, so any object fits this shape.
    const fields = e as PgErrorFields
    if (typeof fields.code === 'string' && /^[0-9A-Z]{5}$/.test(fields.code)) return fields
    e = fields.cause
  }
  return undefined
}

/** SQLSTATE of a PostgreSQL error, looked for through the wrapping `cause` chain. */
export function postgresErrorCode(err: unknown): string | undefined {
  return findPgError(err)?.code as string | undefined
}

/** Name of the unique constraint a failed insert/update hit ('' when unnamed), or undefined. */
export function uniqueViolation(err: unknown): string | undefined {
  const fields = findPgError(err)
  if (fields?.code !== '23505') return undefined
  const name = fields.constraint ?? fields.constraint_name
  return typeof name === 'string' ? name : ''
}
