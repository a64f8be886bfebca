import { eq } from 'drizzle-orm'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createRecordingQueue,
  insertBillingNumber,
  parsePdf,
  setUsersCreatedAt,
  startBillingWorkers,
} from '../../../test/helpers/billing-factory.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../../test/helpers/hub.ts'
import { createLinks } from '../../core/links.ts'
import type { BillingAddress } from '../../db/schema/billing-types.ts'
import { companies } from '../../db/schema/index.ts'
import { EnvError, parseEnv } from '../../env.ts'
import { registerWorkers } from '../../workers.ts'
import { estimateNextInvoice, generateInvoice } from './invoice-service.ts'
import { sellerOf } from './seller.ts'

const GERMAN_SELLER_ENV = {
  INVOICE_SELLER_NAME: 'Beispiel Telefonie GmbH',
  INVOICE_SELLER_ADDRESS: 'Friedrichstraße 12 | 10117 Berlin',
  INVOICE_SELLER_COUNTRY: 'de',
  INVOICE_SELLER_VAT_NUMBER: 'DE 123 456 789',
}
const GERMAN_SELLER = {
  name: 'Beispiel Telefonie GmbH',
  lines: ['Friedrichstraße 12', '10117 Berlin', 'Germany'],
  country: 'DE',
  vat_number: 'DE123456789',
}

/** Hub of an operator without INVOICE_SELLER_* settings, and one whose seller is German. */
let hub: TestHub
let german: TestHub
beforeAll(async () => {
  ;[hub, german] = await Promise.all([createTestHub(), createTestHub({ env: GERMAN_SELLER_ENV })])
})
afterAll(async () => {
  await Promise.all([hub.close(), german.close()])
})

const d = (iso: string) => new Date(iso)
const address = (country: string, vat_number: string | null): BillingAddress => ({
  company_name: `Customer ${country}${vat_number ? ' business' : ''}`,
  line1: '1 Main Street',
  line2: null,
  city: 'City',
  postal_code: '10000',
  country,
  vat_number,
})

/** Two seats and one 6.00 EUR number all of February 2026: a 66.00 EUR subtotal. */
async function billedCompany(on: TestHub, billing: BillingAddress) {
  const company = await on.createCompany()
  await setUsersCreatedAt(on.db, company.id, d('2025-12-01T00:00:00Z'))
  await on.db.update(companies).set({ billingAddress: billing }).where(eq(companies.id, company.id))
  await insertBillingNumber(on.db, { companyId: company.id, createdAt: d('2025-10-01T00:00:00Z') })
  return company
}

async function invoiceJson(on: TestHub, company: TestCompany, id: number) {
  const res = await on.call('GET', `/v1/invoices/${id}`, { auth: company.basic })
  expect(res.status).toBe(200)
  return res.body.invoice
}

async function pdfStrings(on: TestHub, company: TestCompany, id: number) {
  const res = await on.app.request(`http://hub.test/v1/invoices/${id}/pdf`, {
    headers: { authorization: company.basic },
  })
  expect(res.status).toBe(200)
  return parsePdf(new Uint8Array(await res.arrayBuffer())).strings
}

/** A pino logger writing into an array, to see what the hub logs at boot. */
function capturedLogger() {
  const records: { level: number; msg: string }[] = []
  const logger = pino({ level: 'info' }, { write: (line: string) => records.push(JSON.parse(line)) })
  return { logger, warnings: () => records.filter((r) => r.level === 40).map((r) => r.msg) }
}

describe('seller settings', () => {
  it('parses the seller: trimmed address lines, upper-case country, normalised VAT number', () => {
    expect(sellerOf(parseEnv(GERMAN_SELLER_ENV))).toEqual(GERMAN_SELLER)
    // The country's name ends the address once, even when the operator wrote it.
    const env = parseEnv({
      ...GERMAN_SELLER_ENV,
      INVOICE_SELLER_ADDRESS: 'Friedrichstraße 12|10117 Berlin|Germany|',
    })
    expect(sellerOf(env).lines).toEqual(GERMAN_SELLER.lines)
    const greek = parseEnv({
      INVOICE_SELLER_NAME: 'Paradeigma AE',
      INVOICE_SELLER_COUNTRY: 'GR',
      INVOICE_SELLER_VAT_NUMBER: 'el123456789',
    })
    expect(sellerOf(greek)).toEqual({
      name: 'Paradeigma AE',
      lines: [],
      country: 'GR',
      vat_number: 'EL123456789',
    })
  })

  it('defaults to "Switchboard" in France with no address and no VAT number', () => {
    expect(sellerOf(parseEnv({}))).toEqual({
      name: 'Switchboard',
      lines: [],
      country: 'FR',
      vat_number: null,
    })
    expect(sellerOf(parseEnv({ INVOICE_SELLER_COUNTRY: 'DE' }))).toEqual({
      name: 'Switchboard',
      lines: [],
      country: 'DE',
      vat_number: null,
    })
  })

  function problemsOf(source: Record<string, string>) {
    try {
      parseEnv(source)
    } catch (err) {
      if (err instanceof EnvError) return err.problems
      throw err
    }
    throw new Error('parseEnv accepted the settings')
  }

  it('refuses a seller country outside the EU or that is not a country code', () => {
    for (const country of ['US', 'CH', 'GB', 'Germany', 'EU']) {
      const problems = problemsOf({ INVOICE_SELLER_NAME: 'Acme', INVOICE_SELLER_COUNTRY: country })
      expect(problems, country).toEqual([
        `INVOICE_SELLER_COUNTRY=${JSON.stringify(country)}: must be the ISO 3166-1 alpha-2 code of an EU country (e.g. FR, DE): invoices apply the VAT rules of a seller established in the EU`,
      ])
    }
  })

  it("refuses a VAT number without the seller country's prefix", () => {
    expect(problemsOf({ ...GERMAN_SELLER_ENV, INVOICE_SELLER_VAT_NUMBER: 'FR40303265045' })).toEqual([
      'INVOICE_SELLER_VAT_NUMBER="FR40303265045": must start with DE, the VAT prefix of DE (INVOICE_SELLER_COUNTRY=DE)',
    ])
    // Greece's prefix is EL, not its ISO code.
    expect(
      problemsOf({
        INVOICE_SELLER_NAME: 'A',
        INVOICE_SELLER_COUNTRY: 'GR',
        INVOICE_SELLER_VAT_NUMBER: 'GR123456789',
      }),
    ).toEqual([expect.stringMatching(/^INVOICE_SELLER_VAT_NUMBER="GR123456789": must start with EL/)])
    expect(
      problemsOf({
        INVOICE_SELLER_NAME: 'A',
        INVOICE_SELLER_COUNTRY: 'FR',
        INVOICE_SELLER_VAT_NUMBER: 'DE123456789',
      }),
    ).toEqual([expect.stringMatching(/^INVOICE_SELLER_VAT_NUMBER="DE123456789": must start with FR/)])
  })

  it('requires the country once a seller is named (it decides the VAT)', () => {
    expect(
      problemsOf({ INVOICE_SELLER_NAME: 'Acme GmbH', INVOICE_SELLER_ADDRESS: 'Hauptstr. 1|10115 Berlin' }),
    ).toEqual([
      "INVOICE_SELLER_COUNTRY=(unset): is required with INVOICE_SELLER_NAME: the seller's country decides the VAT (e.g. FR, DE)",
    ])
  })

  it('refuses an address or a VAT number without a name, and lists every problem at once', () => {
    expect(
      problemsOf({
        INVOICE_SELLER_ADDRESS: '1 rue X|75001 Paris',
        INVOICE_SELLER_VAT_NUMBER: 'FR40303265045',
      }),
    ).toEqual([
      'INVOICE_SELLER_ADDRESS="1 rue X|75001 Paris": needs INVOICE_SELLER_NAME, without which invoices carry no seller details',
      'INVOICE_SELLER_VAT_NUMBER="FR40303265045": needs INVOICE_SELLER_NAME, without which invoices carry no seller details',
    ])
    expect(problemsOf({ INVOICE_SELLER_NAME: 'A', INVOICE_SELLER_ADDRESS: ' | ', PORT: 'x' })).toHaveLength(2)
  })
})

describe('invoices of a German seller', () => {
  it('carry the seller from the environment in the JSON and the PDF, issued by the monthly run', async () => {
    const company = await billedCompany(german, address('DE', null))
    const rec = createRecordingQueue(german.clock)
    await startBillingWorkers({ ...german.deps, queue: rec.queue })
    await rec.runDue()
    const list = await german.call('GET', '/v1/invoices', { auth: company.basic })
    expect(list.body.invoices).toHaveLength(1)
    const invoice = await invoiceJson(german, company, list.body.invoices[0].id)
    expect(invoice.seller).toEqual(GERMAN_SELLER)
    const strings = await pdfStrings(german, company, invoice.id)
    expect(strings).toEqual(
      expect.arrayContaining([
        'From',
        'Beispiel Telefonie GmbH',
        'Friedrichstraße 12',
        '10117 Berlin',
        'Germany',
        'VAT number: DE123456789',
      ]),
    )
  })

  it('charges German VAT to a German customer, business or not', async () => {
    for (const vat of [null, 'DE811907980']) {
      const company = await billedCompany(german, address('DE', vat))
      const row = await generateInvoice(
        german.db,
        german.blobs,
        german.clock,
        company.id,
        '2026-02',
        sellerOf(german.deps.env),
      )
      const invoice = await invoiceJson(german, company, row!.id)
      expect(invoice, String(vat)).toMatchObject({
        subtotal: 6600,
        vat_rate: 19,
        vat: 1254,
        total: 7854,
        vat_note: null,
      })
      expect(await pdfStrings(german, company, invoice.id)).toEqual(
        expect.arrayContaining(['VAT 19%', '78.54 EUR']),
      )
    }
  })

  it('reverse-charges a French business with a VAT number, and charges French VAT without one', async () => {
    const seller = sellerOf(german.deps.env)
    const business = await billedCompany(german, address('FR', 'FR40303265045'))
    const row = await generateInvoice(german.db, german.blobs, german.clock, business.id, '2026-02', seller)
    const invoice = await invoiceJson(german, business, row!.id)
    expect(invoice).toMatchObject({ subtotal: 6600, vat_rate: 0, vat: 0, total: 6600 })
    expect(invoice.vat_note).toMatch(/^Reverse charge: .*Customer VAT number FR40303265045$/)
    expect((await pdfStrings(german, business, invoice.id)).join('\n')).toContain('Reverse charge')

    const consumer = await billedCompany(german, address('FR', null))
    const other = await generateInvoice(german.db, german.blobs, german.clock, consumer.id, '2026-02', seller)
    expect(await invoiceJson(german, consumer, other!.id)).toMatchObject({
      vat_rate: 20,
      vat: 1320,
      total: 7920,
      vat_note: 'VAT of FR at 20% (One-Stop Shop)',
    })
  })

  it("estimates the running month's VAT by the seller's country", async () => {
    const company = await billedCompany(german, address('FR', 'FR40303265045'))
    const ctx = {
      db: german.db,
      clock: german.clock,
      companyId: company.id,
      actor: { type: 'api_key' as const, companyId: company.id, apiKeyId: 0 },
      links: createLinks('http://hub.test'),
    }
    expect(await estimateNextInvoice(ctx, 'DE')).toMatchObject({ vat: 0 })
    expect((await estimateNextInvoice(ctx, 'FR')).vat).toBeGreaterThan(0)
  })

  it('keep the seller they were issued with when the settings change', async () => {
    const company = await billedCompany(german, address('DE', null))
    const row = await generateInvoice(
      german.db,
      german.blobs,
      german.clock,
      company.id,
      '2026-02',
      sellerOf(german.deps.env),
    )
    const renamed = sellerOf(parseEnv({ ...GERMAN_SELLER_ENV, INVOICE_SELLER_NAME: 'Neuer Name GmbH' }))
    const again = await generateInvoice(german.db, german.blobs, german.clock, company.id, '2026-02', renamed)
    expect(again?.id).toBe(row?.id)
    expect((await invoiceJson(german, company, row!.id)).seller).toEqual(GERMAN_SELLER)
    await german.blobs.delete(row!.pdfKey)
    const strings = await pdfStrings(german, company, row!.id)
    expect(strings).toContain('Beispiel Telefonie GmbH')
    expect(strings).not.toContain('Neuer Name GmbH')
  })
})

describe('invoices without seller settings', () => {
  it('name "Switchboard" with no address and no VAT number line', async () => {
    const company = await billedCompany(hub, address('FR', 'FR40303265045'))
    const rec = createRecordingQueue(hub.clock)
    await startBillingWorkers({ ...hub.deps, queue: rec.queue })
    await rec.runDue()
    const list = await hub.call('GET', '/v1/invoices', { auth: company.basic })
    const invoice = await invoiceJson(hub, company, list.body.invoices[0].id)
    expect(invoice.seller).toEqual({ name: 'Switchboard', lines: [], country: 'FR', vat_number: null })
    expect(invoice).toMatchObject({ vat_rate: 20, vat: 1320, vat_note: null })
    const strings = await pdfStrings(hub, company, invoice.id)
    expect(strings.slice(strings.indexOf('From'), strings.indexOf('Billed to'))).toEqual([
      'From',
      'Switchboard',
    ])
    // The customer's VAT number is printed; the seller has none, made up or not.
    expect(strings.filter((s) => s.startsWith('VAT number'))).toEqual(['VAT number: FR40303265045'])
  })

  it('makes the workers warn once at boot, and only then', async () => {
    for (const [on, expected] of [
      [hub, 1],
      [german, 0],
    ] as const) {
      const { logger, warnings } = capturedLogger()
      const workers = registerWorkers({ ...on.deps, logger, queue: createRecordingQueue(on.clock).queue })
      await workers.stop()
      const mine = warnings().filter((w) => w.includes('seller'))
      expect(mine).toHaveLength(expected)
      if (expected) {
        expect(mine[0]).toMatch(
          /^billing: invoices are issued without seller details: set INVOICE_SELLER_NAME/,
        )
      }
    }
  })
})
