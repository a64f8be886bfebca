import { createRoute, z } from '@hono/zod-openapi'
import { getAccount, updateAccount } from '../../../services/account/account-service.ts'
import {
  isCountryCode,
  normalizeVatNumber,
  vatNumberProblem,
} from '../../../services/account/billing-address.ts'
import { getInvoice, getInvoicePdf, listInvoices } from '../../../services/billing/invoice-service.ts'
import { deletePaymentMethod, setPaymentMethod } from '../../../services/billing/payment-method-service.ts'
import { PLAN_IDS } from '../../../services/billing/plans.ts'
import { sellerOf } from '../../../services/billing/seller.ts'
import { createRouter } from '../../context.ts'
import { requireAdmin } from '../../middleware/auth.ts'
import { errorResponses, idParams, json, jsonBody, pageOf, security } from '../../openapi.ts'
import { buildMeta, paginationQuery } from '../../pagination.ts'
import { serviceContext } from '../../service-context.ts'
import { refuseCardNumbers } from './refuse-card-numbers.ts'

const minor = (description: string) =>
  z
    .number()
    .int()
    .openapi({ description: `${description}, in minor units (cents)` })
const middleware = [requireAdmin]

const billingAddressSchema = z
  .object({
    company_name: z.string(),
    line1: z.string(),
    line2: z.string().nullable(),
    city: z.string(),
    postal_code: z.string(),
    country: z.string().openapi({ description: 'ISO 3166-1 alpha-2' }),
    vat_number: z.string().nullable(),
  })
  .openapi('BillingAddress')

const billingAddressInput = z
  .object({
    company_name: z.string().trim().min(1).max(120),
    line1: z.string().trim().min(1).max(200),
    line2: z.string().trim().max(200).nullish(),
    city: z.string().trim().min(1).max(100),
    postal_code: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9 -]{1,11}$/, 'must be a postal code'),
    country: z
      .string()
      .trim()
      .toUpperCase()
      .refine(isCountryCode, 'must be an ISO 3166-1 alpha-2 country code')
      .openapi({ example: 'FR' }),
    vat_number: z.string().overwrite(normalizeVatNumber).min(1).nullish().openapi({
      description: 'EU numbers must carry the country prefix (EL for Greece)',
      example: 'FR40303265045',
    }),
  })
  .superRefine((a, ctx) => {
    const problem = a.vat_number ? vatNumberProblem(a.country, a.vat_number) : null
    if (problem) ctx.addIssue({ code: 'custom', path: ['vat_number'], message: problem })
  })

const paymentMethodSchema = z
  .object({
    provider: z.enum(['stripe', 'gocardless']),
    reference: z.string(),
    brand: z.string().nullable(),
    last4: z.string().nullable(),
    exp_month: z.number().int().nullable(),
    exp_year: z.number().int().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('PaymentMethod')

const REFERENCE_FORMATS = {
  stripe: { pattern: /^pm_[A-Za-z0-9]{6,100}$/, hint: 'a Stripe PaymentMethod id (pm_…)' },
  gocardless: { pattern: /^MD[0-9A-Z]{6,30}$/, hint: 'a GoCardless mandate id (MD…)' },
} as const

const paymentMethodInput = z
  .object({
    provider: z.enum(['stripe', 'gocardless']),
    reference: z.string().trim().min(1).max(120),
    brand: z.string().trim().min(1).max(32).optional(),
    last4: z
      .string()
      .regex(/^\d{4}$/, 'must be exactly 4 digits')
      .optional(),
    exp_month: z.number().int().min(1).max(12).optional(),
    exp_year: z.number().int().min(2000).max(2100).optional(),
  })
  .superRefine((p, ctx) => {
    const format = REFERENCE_FORMATS[p.provider]
    if (!format.pattern.test(p.reference)) {
      ctx.addIssue({ code: 'custom', path: ['reference'], message: `must be ${format.hint}` })
    }
    if ((p.exp_month === undefined) !== (p.exp_year === undefined)) {
      const missing = p.exp_month === undefined ? 'exp_month' : 'exp_year'
      ctx.addIssue({ code: 'custom', path: [missing], message: 'exp_month and exp_year go together' })
    }
  })

const planSchema = z
  .object({
    id: z.enum(PLAN_IDS),
    name: z.string(),
    seat_price: minor('Monthly price of one user seat'),
    currency: z.string(),
  })
  .openapi('Plan')

const accountSchema = z
  .object({
    company: z.object({ id: z.number().int(), name: z.string() }),
    plan: planSchema,
    billing_address: billingAddressSchema.nullable(),
    payment_method: paymentMethodSchema.nullable(),
    counts: z.object({
      users: z.number().int(),
      numbers: z.number().int().openapi({ description: 'Live numbers (not released)' }),
      api_keys: z.number().int().openapi({ description: 'API keys not revoked' }),
    }),
    next_invoice_estimate: z
      .object({
        period: z.string().openapi({ example: '2026-03' }),
        currency: z.string(),
        subtotal: minor('Before VAT'),
        vat: minor('VAT'),
        total: minor('Total'),
      })
      .openapi('InvoiceEstimate', { description: 'The running month, if nothing changes until its end' }),
  })
  .openapi('Account')
const accountEnvelope = z.object({ account: accountSchema }).openapi('AccountEnvelope')

const invoiceLineSchema = z
  .object({
    kind: z.enum(['number', 'seats']),
    description: z.string(),
    number_id: z.number().int().nullable(),
    country: z.string().nullable(),
    quantity: z.number().int(),
    unit_price: minor('Monthly price of one number or seat'),
    days: z.number().int().openapi({ description: 'Days billed (seats: summed over users)' }),
    days_in_period: z.number().int(),
    amount: minor('Line amount, pro rata of the days billed'),
  })
  .openapi('InvoiceLine')

const partySchema = z
  .object({
    name: z.string(),
    lines: z.array(z.string()),
    country: z.string().nullable(),
    vat_number: z.string().nullable(),
  })
  .openapi('InvoiceParty')

const invoiceSchema = z
  .object({
    id: z.number().int(),
    direct_link: z.string(),
    pdf_link: z.string(),
    number: z.string(),
    period: z.string().openapi({ example: '2026-02' }),
    period_start: z.string(),
    period_end: z.string().openapi({ description: 'Last day of the period (inclusive)' }),
    status: z.enum(['issued', 'paid']),
    plan: z.string(),
    currency: z.string(),
    lines: z.array(invoiceLineSchema),
    subtotal: minor('Sum of the lines'),
    vat_rate: z.number().openapi({ description: 'Percent, e.g. 20' }),
    vat: minor('VAT'),
    total: minor('Total due'),
    vat_note: z.string().nullable(),
    billed_to: partySchema,
    seller: partySchema.openapi({ description: 'Who issued the invoice, as it was at issue time' }),
    issued_at: z.string(),
    paid_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi('Invoice')
const invoiceEnvelope = z.object({ invoice: invoiceSchema }).openapi('InvoiceEnvelope')

export const accountRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/account',
      tags: ['Account'],
      security,
      middleware,
      responses: { 200: json(accountEnvelope, 'The account page'), ...errorResponses },
    }),
    async (c) =>
      c.json({ account: await getAccount(serviceContext(c), sellerOf(c.var.deps.env).country) }, 200),
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/account',
      tags: ['Account'],
      security,
      middleware,
      request: {
        body: jsonBody(
          z.object({
            name: z.string().trim().min(1).max(120).optional(),
            plan: z.enum(PLAN_IDS).optional(),
            billing_address: billingAddressInput.nullable().optional(),
          }),
        ),
      },
      responses: { 200: json(accountEnvelope, 'The updated account'), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid('json')
      const address = body.billing_address
      const sellerCountry = sellerOf(c.var.deps.env).country
      const account = await updateAccount(serviceContext(c), sellerCountry, {
        name: body.name,
        plan: body.plan,
        billing_address: address && {
          company_name: address.company_name,
          line1: address.line1,
          line2: address.line2 || null,
          city: address.city,
          postal_code: address.postal_code,
          country: address.country,
          vat_number: address.vat_number ?? null,
        },
      })
      return c.json({ account }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/account/payment_method',
      tags: ['Account'],
      security,
      middleware: [requireAdmin, refuseCardNumbers],
      description:
        "A reference to an instrument stored by the payment provider. Card numbers are refused: tokenize the card with the provider's own SDK first.",
      request: { body: jsonBody(paymentMethodInput) },
      responses: {
        200: json(z.object({ payment_method: paymentMethodSchema }), 'The payment method'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const payment_method = await setPaymentMethod(serviceContext(c), c.req.valid('json'))
      return c.json({ payment_method }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/account/payment_method',
      tags: ['Account'],
      security,
      middleware,
      responses: { 204: { description: 'Removed' }, ...errorResponses },
    }),
    async (c) => {
      await deletePaymentMethod(serviceContext(c))
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/invoices',
      tags: ['Invoices'],
      security,
      middleware,
      request: { query: paginationQuery },
      responses: {
        200: json(pageOf('invoices', invoiceSchema), 'Invoices of the company'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid('query')
      const { items, total } = await listInvoices(serviceContext(c), q)
      return c.json({ invoices: items, meta: buildMeta(c, q, items.length, total) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/invoices/{id}',
      tags: ['Invoices'],
      security,
      middleware,
      request: { params: idParams },
      responses: { 200: json(invoiceEnvelope, 'The invoice'), ...errorResponses },
    }),
    async (c) => {
      const invoice = await getInvoice(serviceContext(c), c.req.valid('param').id)
      return c.json({ invoice }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/invoices/{id}/pdf',
      tags: ['Invoices'],
      security,
      middleware,
      request: { params: idParams },
      responses: {
        200: {
          description: 'The invoice as a PDF download',
          content: { 'application/pdf': { schema: z.string().openapi({ format: 'binary' }) } },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { bytes, filename } = await getInvoicePdf(
        serviceContext(c),
        c.var.deps.blobs,
        c.req.valid('param').id,
      )
      return c.body(bytes, 200, {
        'content-type': 'application/pdf',
        'content-disposition': `attachment; filename="${filename}"`,
        'cache-control': 'private, no-store',
      })
    },
  )
