import { count, eq } from 'drizzle-orm'
import type { ServiceContext } from '../../api/context.ts'
import { companies, users } from '../../db/schema/index.ts'
import { notFound } from '../../errors.ts'

export async function getCompanySummary(ctx: ServiceContext) {
  const [company] = await ctx.db.select().from(companies).where(eq(companies.id, ctx.companyId))
  if (!company) throw notFound()
  const [usersCount] = await ctx.db
    .select({ n: count() })
    .from(users)
    .where(eq(users.companyId, ctx.companyId))
  return {
    id: company.id,
    name: company.name,
    users_count: usersCount?.n ?? 0,
    // Numbers arrive with the numbers issue; until then a company has none.
    numbers_count: 0,
  }
}
