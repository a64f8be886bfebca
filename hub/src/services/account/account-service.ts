import { and, count, eq, isNull } from 'drizzle-orm'
import type { Clock } from '../../core/clock.ts'
import { badRequest, notFound } from '../../core/errors.ts'
import type { Database } from '../../db/client.ts'
import type { BillingAddress } from '../../db/schema/billing-types.ts'
import { apiKeys, companies, numbers, users } from '../../db/schema/index.ts'
import { estimateNextInvoice } from '../billing/invoice-service.ts'
import { findPaymentMethod } from '../billing/payment-method-service.ts'
import { PLANS, type PlanId, planOf } from '../billing/plans.ts'
import type { ServiceContext } from '../context.ts'

/**
 * The account page (the guide's "Compte"): plan, billing details, payment method, counts.
 * `sellerCountry` (INVOICE_SELLER_COUNTRY, `sellerOf(env).country`) decides the estimate's VAT.
 */
export async function getAccount(ctx: ServiceContext, sellerCountry: string) {
  const { db, companyId } = ctx
  const [company] = await db.select().from(companies).where(eq(companies.id, companyId))
  if (!company) throw notFound()
  const [[usersCount], [numbersCount], [keysCount]] = await Promise.all([
    db.select({ n: count() }).from(users).where(eq(users.companyId, companyId)),
    db
      .select({ n: count() })
      .from(numbers)
      .where(and(eq(numbers.companyId, companyId), isNull(numbers.releasedAt))),
    db
      .select({ n: count() })
      .from(apiKeys)
      .where(and(eq(apiKeys.companyId, companyId), isNull(apiKeys.revokedAt))),
  ])
  const plan = planOf(company)
  return {
    company: { id: company.id, name: company.name },
    plan: { id: plan.id, name: plan.name, seat_price: plan.seatPriceMinor, currency: plan.currency },
    billing_address: company.billingAddress ?? null,
    payment_method: await findPaymentMethod(db, companyId),
    counts: { users: usersCount?.n ?? 0, numbers: numbersCount?.n ?? 0, api_keys: keysCount?.n ?? 0 },
    next_invoice_estimate: await estimateNextInvoice(ctx, sellerCountry),
  }
}

export type AccountResource = Awaited<ReturnType<typeof getAccount>>

export type AccountUpdate = {
  name?: string | undefined
  plan?: PlanId | undefined
  /** null clears the address. */
  billing_address?: BillingAddress | null | undefined
}

/**
 * Partial update: absent fields stay as they are. A plan change applies to the next invoice
 * as a whole (no split of the month between two plans). Admins may move between self-serve
 * plans; the custom plan is negotiated, so only an operator puts a company on it.
 */
export async function updateAccount(ctx: ServiceContext, sellerCountry: string, input: AccountUpdate) {
  const [company] = await ctx.db.select().from(companies).where(eq(companies.id, ctx.companyId))
  if (!company) throw notFound()
  if (input.plan && input.plan !== company.plan && !PLANS[input.plan].selfServe) {
    throw badRequest('plan', 'the custom plan is set up by your account manager')
  }
  const changes: Partial<typeof companies.$inferInsert> = {}
  if (input.name !== undefined) changes.name = input.name
  if (input.plan !== undefined) changes.plan = input.plan
  if (input.billing_address !== undefined) changes.billingAddress = input.billing_address
  if (Object.keys(changes).length > 0) {
    await ctx.db
      .update(companies)
      .set({ ...changes, updatedAt: ctx.clock.now() })
      .where(eq(companies.id, ctx.companyId))
  }
  return getAccount(ctx, sellerCountry)
}

/** Operator entry: puts a company on the custom plan at a negotiated per-seat price (minor units). */
export async function setCustomPlan(db: Database, clock: Clock, companyId: number, seatPriceMinor: number) {
  if (!Number.isInteger(seatPriceMinor) || seatPriceMinor < 0) {
    throw badRequest('seat_price', 'must be a non-negative integer amount in minor units')
  }
  const [row] = await db
    .update(companies)
    .set({ plan: 'custom', customSeatPriceMinor: seatPriceMinor, updatedAt: clock.now() })
    .where(eq(companies.id, companyId))
    .returning({ id: companies.id })
  if (!row) throw notFound()
}
