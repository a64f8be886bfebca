import { and, count, eq, gt, isNull, lt, or } from 'drizzle-orm'
import type { BlobStore } from '../../blobs/blob-store.ts'
import type { Clock } from '../../core/clock.ts'
import { notFound } from '../../core/errors.ts'
import type { Links } from '../../core/links.ts'
import { type PaginationQuery, pageWindow } from '../../core/pagination.ts'
import type { Database, Queryable } from '../../db/client.ts'
import { orderBy, timeRange } from '../../db/list-query.ts'
import type { BillingAddress, InvoiceParty } from '../../db/schema/billing-types.ts'
import { companies, invoices, numbers, users } from '../../db/schema/index.ts'
import type { ServiceContext } from '../context.ts'
import { computeInvoice, type InvoiceDraft } from './invoice-calc.ts'
import { renderInvoicePdf } from './invoice-pdf.ts'
import { type Period, parsePeriod, periodOf } from './periods.ts'
import { planOf } from './plans.ts'
import { type Seller, sellerSnapshot, unconfiguredSeller } from './seller.ts'

type InvoiceRow = typeof invoices.$inferSelect
type CompanyRow = typeof companies.$inferSelect

export const invoicePdfKey = (companyId: number, period: string) => `c/${companyId}/invoices/${period}.pdf`
export const invoiceNumber = (companyId: number, period: string) =>
  `SB-${period.replace('-', '')}-${String(companyId).padStart(6, '0')}`

const regionNames = new Intl.DisplayNames(['en'], { type: 'region' })

export function customerParty(
  company: Pick<CompanyRow, 'name'>,
  address: BillingAddress | null,
): InvoiceParty {
  if (!address) return { name: company.name, lines: [], country: null, vat_number: null }
  return {
    name: address.company_name,
    lines: [
      address.line1,
      ...(address.line2 ? [address.line2] : []),
      `${address.postal_code} ${address.city}`,
      regionNames.of(address.country) ?? address.country,
    ],
    country: address.country,
    vat_number: address.vat_number,
  }
}

/** What a company would be billed for a period, from its numbers and users as they are now. */
async function draftFor(
  db: Queryable,
  companyId: number,
  period: Period,
  sellerCountry: string,
): Promise<{ company: CompanyRow; draft: InvoiceDraft } | null> {
  const [company] = await db.select().from(companies).where(eq(companies.id, companyId))
  if (!company) return null
  const numberRows = await db
    .select({
      id: numbers.id,
      name: numbers.name,
      e164: numbers.e164,
      country: numbers.country,
      monthlyPriceMinor: numbers.monthlyPriceMinor,
      currency: numbers.currency,
      verificationState: numbers.verificationState,
      createdAt: numbers.createdAt,
      releasedAt: numbers.releasedAt,
    })
    .from(numbers)
    .where(
      and(
        eq(numbers.companyId, companyId),
        lt(numbers.createdAt, period.end),
        or(isNull(numbers.releasedAt), gt(numbers.releasedAt, period.start)),
      ),
    )
  const userRows = await db
    .select({ createdAt: users.createdAt })
    .from(users)
    .where(and(eq(users.companyId, companyId), lt(users.createdAt, period.end)))
  const draft = computeInvoice({
    period,
    plan: planOf(company),
    numbers: numberRows,
    users: userRows,
    address: company.billingAddress ?? null,
    sellerCountry,
  })
  return { company, draft }
}

/**
 * Issues the invoice of a company for a finished period and stores its PDF. Idempotent: the
 * unique (company_id, period) index decides who wins when two runs race, and a second run
 * returns the invoice the first one made, untouched. Returns null when there is nothing to
 * bill (no user and no number during the period) or the company no longer exists.
 *
 * The seller (`sellerOf(deps.env)`) is snapshotted in the invoice as it is now and decides
 * its VAT. Left out, it is the seller of a hub without INVOICE_SELLER_* settings.
 *
 * Also the operator's entry point (CLI, tests):
 * `generateInvoice(db, blobs, clock, id, '2026-02', sellerOf(env))`.
 */
export async function generateInvoice(
  db: Database,
  blobs: BlobStore,
  clock: Clock,
  companyId: number,
  periodId: string,
  seller: Seller = unconfiguredSeller,
): Promise<InvoiceRow | null> {
  const period = parsePeriod(periodId)
  const now = clock.now()
  if (period.end > now)
    throw new Error(`period ${periodId} is not over yet; it can be invoiced from ${period.end.toISOString()}`)
  const existing = await findInvoice(db, companyId, periodId)
  if (existing) return existing
  return db.transaction(async (tx) => {
    const found = await draftFor(tx, companyId, period, seller.country)
    if (!found || found.draft.lines.length === 0) return null
    const { company, draft } = found
    const [row] = await tx
      .insert(invoices)
      .values({
        companyId,
        period: periodId,
        number: invoiceNumber(companyId, periodId),
        status: 'issued',
        plan: planOf(company).name,
        currency: draft.currency,
        lines: draft.lines,
        subtotalMinor: draft.subtotalMinor,
        vatRateBp: draft.vatRateBp,
        vatMinor: draft.vatMinor,
        totalMinor: draft.totalMinor,
        vatNote: draft.vatNote,
        customer: customerParty(company, company.billingAddress ?? null),
        seller: sellerSnapshot(seller),
        pdfKey: invoicePdfKey(companyId, periodId),
        issuedAt: now,
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing({ target: [invoices.companyId, invoices.period] })
      .returning()
    if (!row) return (await findInvoice(tx, companyId, periodId)) ?? null
    // Written inside the transaction: if storing fails, no invoice row points to a missing PDF.
    await blobs.put(row.pdfKey, renderInvoicePdf(row), 'application/pdf')
    return row
  })
}

async function findInvoice(db: Queryable, companyId: number, period: string) {
  const [row] = await db
    .select()
    .from(invoices)
    .where(and(eq(invoices.companyId, companyId), eq(invoices.period, period)))
  return row
}

/**
 * The running month's invoice if nothing changes until its end (live numbers and users stay).
 * VAT follows the seller's country: pass `sellerOf(deps.env).country`; left out, the country of
 * a hub without INVOICE_SELLER_* settings.
 */
export async function estimateNextInvoice(ctx: ServiceContext, sellerCountry = unconfiguredSeller.country) {
  const period = parsePeriod(periodOf(ctx.clock.now()))
  const found = await draftFor(ctx.db, ctx.companyId, period, sellerCountry)
  if (!found) throw notFound()
  const { draft } = found
  return {
    period: period.id,
    currency: draft.currency,
    subtotal: draft.subtotalMinor,
    vat: draft.vatMinor,
    total: draft.totalMinor,
  }
}

export function toInvoiceJson(row: InvoiceRow, links: Links) {
  const period = parsePeriod(row.period)
  return {
    id: row.id,
    direct_link: links.invoice(row.id),
    pdf_link: links.invoicePdf(row.id),
    number: row.number,
    period: row.period,
    period_start: period.start.toISOString().slice(0, 10),
    period_end: new Date(period.end.getTime() - 1).toISOString().slice(0, 10),
    status: row.status,
    plan: row.plan,
    currency: row.currency,
    lines: row.lines,
    subtotal: row.subtotalMinor,
    vat_rate: row.vatRateBp / 100,
    vat: row.vatMinor,
    total: row.totalMinor,
    vat_note: row.vatNote,
    billed_to: row.customer,
    seller: row.seller,
    issued_at: row.issuedAt.toISOString(),
    paid_at: row.paidAt?.toISOString() ?? null,
    created_at: row.createdAt.toISOString(),
  }
}

export type InvoiceResource = ReturnType<typeof toInvoiceJson>

const owned = (ctx: ServiceContext, id: number) =>
  and(eq(invoices.companyId, ctx.companyId), eq(invoices.id, id))

export async function listInvoices(ctx: ServiceContext, q: PaginationQuery) {
  const { offset, limit } = pageWindow(q)
  const where = and(eq(invoices.companyId, ctx.companyId), timeRange(invoices.issuedAt, q))
  const rows = await ctx.db
    .select()
    .from(invoices)
    .where(where)
    .orderBy(...orderBy(invoices.issuedAt, q, invoices.id))
    .limit(limit)
    .offset(offset)
  const [total] = await ctx.db.select({ n: count() }).from(invoices).where(where)
  return { items: rows.map((r) => toInvoiceJson(r, ctx.links)), total: total?.n ?? 0 }
}

export async function getInvoice(ctx: ServiceContext, id: number) {
  const [row] = await ctx.db.select().from(invoices).where(owned(ctx, id))
  if (!row) throw notFound()
  return toInvoiceJson(row, ctx.links)
}

/** The stored PDF; rendered again from the row (identically) if the blob went missing. */
export async function getInvoicePdf(ctx: ServiceContext, blobs: BlobStore, id: number) {
  const [row] = await ctx.db.select().from(invoices).where(owned(ctx, id))
  if (!row) throw notFound()
  let bytes = (await blobs.get(row.pdfKey))?.bytes
  if (!bytes) {
    bytes = renderInvoicePdf(row)
    await blobs.put(row.pdfKey, bytes, 'application/pdf')
  }
  // A copy on a plain ArrayBuffer: what a Response body takes (a store may hand back a view on a shared buffer).
  return { bytes: Uint8Array.from(bytes), filename: `invoice-${row.number}.pdf` }
}

/**
 * Operator entry: records a payment collected outside the API (bank transfer, a provider's
 * webhook). Paying a paid invoice again keeps the first payment date.
 */
export async function markInvoicePaid(db: Database, clock: Clock, companyId: number, invoiceId: number) {
  const now = clock.now()
  const [row] = await db
    .update(invoices)
    .set({ status: 'paid', paidAt: now, updatedAt: now })
    .where(and(eq(invoices.companyId, companyId), eq(invoices.id, invoiceId), eq(invoices.status, 'issued')))
    .returning()
  if (row) return row
  const [existing] = await db
    .select()
    .from(invoices)
    .where(and(eq(invoices.companyId, companyId), eq(invoices.id, invoiceId)))
  if (!existing) throw notFound()
  return existing
}
