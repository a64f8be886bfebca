import { eq } from 'drizzle-orm'
import { badRequest, notFound } from '../../core/errors.ts'
import type { Queryable } from '../../db/client.ts'
import { paymentMethods } from '../../db/schema/index.ts'
import type { ServiceContext } from '../context.ts'

type PaymentMethodRow = typeof paymentMethods.$inferSelect

export type PaymentMethodInput = {
  provider: 'stripe' | 'gocardless'
  reference: string
  brand?: string | undefined
  last4?: string | undefined
  exp_month?: number | undefined
  exp_year?: number | undefined
}

export const toPaymentMethodJson = (row: PaymentMethodRow) => ({
  provider: row.provider,
  reference: row.reference,
  brand: row.brand,
  last4: row.last4,
  exp_month: row.expMonth,
  exp_year: row.expYear,
  created_at: row.createdAt.toISOString(),
  updated_at: row.updatedAt.toISOString(),
})

export type PaymentMethodResource = ReturnType<typeof toPaymentMethodJson>

export async function findPaymentMethod(db: Queryable, companyId: number) {
  const [row] = await db.select().from(paymentMethods).where(eq(paymentMethods.companyId, companyId))
  return row ? toPaymentMethodJson(row) : null
}

/**
 * Sets the company's payment method: a provider's reference, never card data (the route
 * refuses anything that looks like a card number before we get here). A card that has
 * already expired is refused: the provider would decline every charge.
 */
export async function setPaymentMethod(ctx: ServiceContext, input: PaymentMethodInput) {
  if (input.exp_year !== undefined && input.exp_month !== undefined) {
    const now = ctx.clock.now()
    const thisMonth = now.getUTCFullYear() * 12 + now.getUTCMonth()
    if (input.exp_year * 12 + (input.exp_month - 1) < thisMonth) {
      throw badRequest('exp_year', 'this card has expired')
    }
  }
  const now = ctx.clock.now()
  const values = {
    provider: input.provider,
    reference: input.reference,
    brand: input.brand ?? null,
    last4: input.last4 ?? null,
    expMonth: input.exp_month ?? null,
    expYear: input.exp_year ?? null,
    updatedAt: now,
  }
  const [row] = await ctx.db
    .insert(paymentMethods)
    .values({ companyId: ctx.companyId, ...values, createdAt: now })
    .onConflictDoUpdate({ target: paymentMethods.companyId, set: values })
    .returning()
  if (!row) throw new Error('upsert returned no row')
  return toPaymentMethodJson(row)
}

export async function deletePaymentMethod(ctx: ServiceContext) {
  const deleted = await ctx.db
    .delete(paymentMethods)
    .where(eq(paymentMethods.companyId, ctx.companyId))
    .returning({ id: paymentMethods.id })
  if (deleted.length === 0) throw notFound('No payment method')
}
