import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertBillingNumber, parsePdf, setUsersCreatedAt } from '../../../../test/helpers/billing-factory.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { companies } from '../../../db/schema/index.ts'
import { generateInvoice, markInvoicePaid } from '../../../services/billing/invoice-service.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

const d = (iso: string) => new Date(iso)

/** A company with two seats since mid-2025, a German address (no VAT number) and one FR number. */
async function billedCompany() {
  const company = await hub.createCompany()
  await setUsersCreatedAt(hub.db, company.id, d('2025-06-01T00:00:00Z'))
  await hub.db
    .update(companies)
    .set({
      billingAddress: {
        company_name: 'Beispiel GmbH',
        line1: 'Friedrichstraße 12',
        line2: null,
        city: 'Berlin',
        postal_code: '10117',
        country: 'DE',
        vat_number: null,
      },
    })
    .where(eq(companies.id, company.id))
  await insertBillingNumber(hub.db, { companyId: company.id, createdAt: d('2025-06-01T00:00:00Z') })
  return company
}

async function invoiceFor(company: TestCompany, period: string) {
  const row = await generateInvoice(hub.db, hub.blobs, hub.clock, company.id, period)
  if (!row) throw new Error('nothing billed')
  return row
}

async function download(company: TestCompany, path: string) {
  const res = await hub.app.request(`http://hub.test${path}`, { headers: { authorization: company.basic } })
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) }
}

describe('GET /v1/invoices', () => {
  it("pages the company's invoices with Aircall meta", async () => {
    const company = await billedCompany()
    const other = await billedCompany()
    await invoiceFor(other, '2026-02')
    for (const period of ['2025-12', '2026-01', '2026-02']) {
      await invoiceFor(company, period)
      hub.clock.advance(1000)
    }
    const first = await hub.call('GET', '/v1/invoices?per_page=2', { auth: company.adminBearer })
    expect(first.status).toBe(200)
    expect(first.body.invoices.map((i: { period: string }) => i.period)).toEqual(['2025-12', '2026-01'])
    expect(first.body.meta).toEqual({
      count: 2,
      total: 3,
      current_page: 1,
      per_page: 2,
      next_page_link: 'http://hub.test/v1/invoices?per_page=2&page=2',
      previous_page_link: null,
    })
    const desc = await hub.call('GET', '/v1/invoices?order=desc', { auth: company.basic })
    expect(desc.body.invoices.map((i: { period: string }) => i.period)).toEqual([
      '2026-02',
      '2026-01',
      '2025-12',
    ])
  })

  it('answers 400 naming the field for bad paging', async () => {
    const company = await hub.createCompany()
    for (const query of ['per_page=51', 'page=0', 'order=up']) {
      const res = await hub.call('GET', `/v1/invoices?${query}`, { auth: company.basic })
      expect(res.status, query).toBe(400)
      expect(res.body.field).toBe(query.split('=')[0])
    }
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/invoices', adminOnly: true })
})

describe('GET /v1/invoices/:id', () => {
  it('returns the lines, totals in minor units and status', async () => {
    const company = await billedCompany()
    const row = await invoiceFor(company, '2026-02')
    const res = await hub.call('GET', `/v1/invoices/${row.id}`, { auth: company.basic })
    expect(res.status).toBe(200)
    expect(res.body.invoice).toEqual({
      id: row.id,
      direct_link: `http://hub.test/v1/invoices/${row.id}`,
      pdf_link: `http://hub.test/v1/invoices/${row.id}/pdf`,
      number: `SB-202602-${String(company.id).padStart(6, '0')}`,
      period: '2026-02',
      period_start: '2026-02-01',
      period_end: '2026-02-28',
      status: 'issued',
      plan: 'Essentials',
      currency: 'EUR',
      lines: [
        expect.objectContaining({
          kind: 'number',
          country: 'FR',
          quantity: 1,
          unit_price: 600,
          days: 28,
          amount: 600,
        }),
        expect.objectContaining({
          kind: 'seats',
          quantity: 2,
          unit_price: 3000,
          days: 56,
          days_in_period: 28,
          amount: 6000,
        }),
      ],
      subtotal: 6600,
      vat_rate: 19,
      vat: 1254,
      total: 7854,
      vat_note: 'VAT of DE at 19% (One-Stop Shop)',
      billed_to: {
        name: 'Beispiel GmbH',
        lines: ['Friedrichstraße 12', '10117 Berlin', 'Germany'],
        country: 'DE',
        vat_number: null,
      },
      // This hub has no INVOICE_SELLER_* settings (services/billing/seller.test.ts covers them).
      seller: { name: 'Switchboard', lines: [], country: 'FR', vat_number: null },
      issued_at: hub.clock.now().toISOString(),
      paid_at: null,
      created_at: hub.clock.now().toISOString(),
    })
  })

  it('shows an invoice as paid once the payment is recorded', async () => {
    const company = await billedCompany()
    const row = await invoiceFor(company, '2026-02')
    const paidAt = hub.clock.now().toISOString()
    await markInvoicePaid(hub.db, hub.clock, company.id, row.id)
    hub.clock.advance(60_000)
    await markInvoicePaid(hub.db, hub.clock, company.id, row.id)
    const res = await hub.call('GET', `/v1/invoices/${row.id}`, { auth: company.adminBearer })
    expect(res.body.invoice).toMatchObject({ status: 'paid', paid_at: paidAt })
    const intruder = await hub.createCompany()
    await expect(markInvoicePaid(hub.db, hub.clock, intruder.id, row.id)).rejects.toMatchObject({
      code: 'not_found',
    })
  })

  it('answers 400 to a malformed id and 404 to an unknown one', async () => {
    const company = await hub.createCompany()
    for (const id of ['abc', '0', '-1', '99999999999']) {
      const res = await hub.call('GET', `/v1/invoices/${id}`, { auth: company.basic })
      expect(res.status, id).toBe(400)
      expect(res.body.field).toBe('id')
    }
    expect((await hub.call('GET', '/v1/invoices/2147483647', { auth: company.basic })).status).toBe(404)
  })

  securityCases(() => hub, {
    method: 'GET',
    path: async (company) => `/v1/invoices/${(await invoiceFor(await withSeats(company), '2026-02')).id}`,
    adminOnly: true,
    ownedResource: true,
  })
})

describe('GET /v1/invoices/:id/pdf', () => {
  it('downloads the PDF, which shows the total', async () => {
    const company = await billedCompany()
    const row = await invoiceFor(company, '2026-02')
    const { res, bytes } = await download(company, `/v1/invoices/${row.id}/pdf`)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toBe('application/pdf')
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="invoice-${row.number}.pdf"`)
    const pdf = parsePdf(bytes)
    expect(pdf.strings).toEqual(expect.arrayContaining(['Total', '78.54 EUR', 'Beispiel GmbH', row.number]))
  })

  it('renders the PDF again, identically, if the stored file went missing', async () => {
    const company = await billedCompany()
    const row = await invoiceFor(company, '2026-02')
    const before = await download(company, `/v1/invoices/${row.id}/pdf`)
    await hub.blobs.delete(row.pdfKey)
    const after = await download(company, `/v1/invoices/${row.id}/pdf`)
    expect(after.res.status).toBe(200)
    expect(after.bytes).toEqual(before.bytes)
    expect(await hub.blobs.get(row.pdfKey)).not.toBeNull()
  })

  it('answers 404 to an unknown invoice', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('GET', '/v1/invoices/2147483647/pdf', { auth: company.basic })
    expect(res.status).toBe(404)
  })

  securityCases(() => hub, {
    method: 'GET',
    path: async (company) => `/v1/invoices/${(await invoiceFor(await withSeats(company), '2026-02')).id}/pdf`,
    adminOnly: true,
    ownedResource: true,
  })
})

describe('OpenAPI', () => {
  it('documents the account and invoice routes', async () => {
    const doc = await hub.call('GET', '/v1/openapi.json')
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/account',
        '/v1/account/payment_method',
        '/v1/invoices',
        '/v1/invoices/{id}',
        '/v1/invoices/{id}/pdf',
      ]),
    )
    expect(Object.keys(doc.body.components.schemas)).toEqual(
      expect.arrayContaining([
        'Account',
        'Invoice',
        'InvoiceLine',
        'InvoiceParty',
        'PaymentMethod',
        'BillingAddress',
      ]),
    )
  })
})

async function withSeats(company: TestCompany) {
  await setUsersCreatedAt(hub.db, company.id, d('2025-06-01T00:00:00Z'))
  return company
}
