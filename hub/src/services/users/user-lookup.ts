import { and, eq, type SQL, sql } from 'drizzle-orm'
import { notFound } from '../../core/errors.ts'
import { parseCanonicalId } from '../../core/ids.ts'
import type { Queryable } from '../../db/client.ts'
import { users } from '../../db/schema/index.ts'
import type { ServiceContext } from '../context.ts'
import type { UserRow } from './user-json.ts'

/**
 * `:id` of the users routes: the numeric id or the email address (as Aircall's GET accepts),
 * always within the caller's company. Anything else matches nothing, so it answers 404.
 */
export function userKey(ctx: Pick<ServiceContext, 'companyId'>, idOrEmail: string): SQL | undefined {
  const id = parseCanonicalId(idOrEmail)
  const email = idOrEmail.trim()
  let match: SQL | undefined
  if (id !== null) match = eq(users.id, id)
  else if (email.includes('@')) match = sql`lower(${users.email}) = ${email.toLowerCase()}`
  return match ? and(eq(users.companyId, ctx.companyId), match) : undefined
}

export async function findUser(
  db: Queryable,
  ctx: Pick<ServiceContext, 'companyId'>,
  idOrEmail: string,
  options: { forUpdate?: boolean } = {},
): Promise<UserRow> {
  const where = userKey(ctx, idOrEmail)
  if (!where) throw notFound('User not found')
  const query = db.select().from(users).where(where).limit(1)
  const [row] = options.forUpdate ? await query.for('update') : await query
  if (!row) throw notFound('User not found')
  return row
}
