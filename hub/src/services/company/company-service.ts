import { and, count, eq, isNull } from 'drizzle-orm'
import { notFound } from '../../core/errors.ts'
import { companies, numbers, users } from '../../db/schema/index.ts'
import type { ServiceContext } from '../context.ts'

export async function getCompanySummary(ctx: ServiceContext) {
  const [company] = await ctx.db.select().from(companies).where(eq(companies.id, ctx.companyId))
  if (!company) throw notFound()
  const [usersCount] = await ctx.db
    .select({ n: count() })
    .from(users)
    .where(eq(users.companyId, ctx.companyId))
  const [numbersCount] = await ctx.db
    .select({ n: count() })
    .from(numbers)
    .where(and(eq(numbers.companyId, ctx.companyId), isNull(numbers.releasedAt)))
  return {
    id: company.id,
    name: company.name,
    users_count: usersCount?.n ?? 0,
    // Live numbers: released ones no longer belong to the company.
    numbers_count: numbersCount?.n ?? 0,
  }
}
