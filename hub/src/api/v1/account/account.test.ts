import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { insertBillingNumber, setUsersCreatedAt } from '../../../../test/helpers/billing-factory.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { apiKeys, paymentMethods } from '../../../db/schema/index.ts'
import { setCustomPlan } from '../../../services/account/account-service.ts'
import { CARD_NUMBER_REFUSED } from './refuse-card-numbers.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

const d = (iso: string) => new Date(iso)
const ADDRESS = {
  company_name: 'Acme SAS',
  line1: '1 rue de Rivoli',
  city: 'Paris',
  postal_code: '75001',
  country: 'FR',
}
const STRIPE = {
  provider: 'stripe',
  reference: 'pm_1MqLiJLkdIwHu7ixUEgbFdYF',
  brand: 'visa',
  last4: '4242',
  exp_month: 12,
  exp_year: 2030,
}

async function getAccount(company: TestCompany) {
  const res = await hub.call('GET', '/v1/account', { auth: company.basic })
  expect(res.status).toBe(200)
  return res.body.account
}

describe('GET /v1/account', () => {
  it("shows a new company's plan, counts and an empty billing profile", async () => {
    const company = await hub.createCompany('Acme Telecom')
    await hub.createCompany('Someone Else')
    const res = await hub.call('GET', '/v1/account', { auth: company.adminBearer })
    expect(res.status).toBe(200)
    expect(res.body.account).toMatchObject({
      company: { id: company.id, name: 'Acme Telecom' },
      plan: { id: 'essentials', name: 'Essentials', seat_price: 3000, currency: 'EUR' },
      billing_address: null,
      payment_method: null,
      counts: { users: 2, numbers: 0, api_keys: 1 },
      next_invoice_estimate: { period: '2026-03', currency: 'EUR' },
    })
  })

  it('counts live numbers and active API keys only, and estimates the running month', async () => {
    const company = await hub.createCompany()
    await setUsersCreatedAt(hub.db, company.id, d('2026-01-01T00:00:00Z'))
    await insertBillingNumber(hub.db, { companyId: company.id, createdAt: d('2026-01-10T00:00:00Z') })
    await insertBillingNumber(hub.db, {
      companyId: company.id,
      createdAt: d('2026-01-10T00:00:00Z'),
      releasedAt: d('2026-03-01T12:00:00Z'),
    })
    await insertBillingNumber(hub.db, {
      companyId: company.id,
      createdAt: d('2025-01-10T00:00:00Z'),
      releasedAt: d('2025-06-01T12:00:00Z'),
    })
    const other = await hub.createCompany()
    await insertBillingNumber(hub.db, { companyId: other.id, createdAt: d('2026-01-10T00:00:00Z') })
    await hub.db.update(apiKeys).set({ revokedAt: hub.clock.now() }).where(eq(apiKeys.companyId, company.id))
    const account = await getAccount({ ...company, basic: company.adminBearer })
    expect(account.counts).toEqual({ users: 2, numbers: 1, api_keys: 0 })
    // March: 2 seats × 30.00, a number all month (6.00), one released on the 1st (1/31 of 6.00 = 0.19); 20 % VAT.
    expect(account.next_invoice_estimate).toEqual({
      period: '2026-03',
      currency: 'EUR',
      subtotal: 6000 + 600 + 19,
      vat: 1324,
      total: 7943,
    })
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/account', adminOnly: true })
})

describe('PUT /v1/account', () => {
  it('changes the name, plan and billing address, normalising country and VAT number', async () => {
    const company = await hub.createCompany()
    await setUsersCreatedAt(hub.db, company.id, d('2026-01-01T00:00:00Z'))
    const res = await hub.call('PUT', '/v1/account', {
      auth: company.basic,
      body: {
        name: '  Acme Group ',
        plan: 'professional',
        billing_address: { ...ADDRESS, country: 'fr', line2: 'Bâtiment B', vat_number: 'fr 40 303.265.045' },
      },
    })
    expect(res.status).toBe(200)
    expect(res.body.account).toMatchObject({
      company: { id: company.id, name: 'Acme Group' },
      plan: { id: 'professional', seat_price: 5000 },
      billing_address: { ...ADDRESS, line2: 'Bâtiment B', vat_number: 'FR40303265045' },
      next_invoice_estimate: { subtotal: 10000, vat: 2000, total: 12000 },
    })
    expect(await getAccount(company)).toEqual(res.body.account)
    expect((await hub.call('GET', '/v1/company', { auth: company.basic })).body.company.name).toBe(
      'Acme Group',
    )
  })

  it('leaves absent fields alone and clears the address with null', async () => {
    const company = await hub.createCompany()
    await hub.call('PUT', '/v1/account', { auth: company.basic, body: { billing_address: ADDRESS } })
    const partial = await hub.call('PUT', '/v1/account', {
      auth: company.basic,
      body: { plan: 'professional' },
    })
    expect(partial.body.account.billing_address).toEqual({ ...ADDRESS, line2: null, vat_number: null })
    const cleared = await hub.call('PUT', '/v1/account', {
      auth: company.basic,
      body: { billing_address: null },
    })
    expect(cleared.status).toBe(200)
    expect(cleared.body.account).toMatchObject({ billing_address: null, plan: { id: 'professional' } })
  })

  it('applies reverse charge to an EU customer with a VAT number, and that country VAT without one', async () => {
    const company = await hub.createCompany()
    await setUsersCreatedAt(hub.db, company.id, d('2026-01-01T00:00:00Z'))
    const german = { ...ADDRESS, city: 'Berlin', postal_code: '10117', country: 'DE' }
    const b2b = await hub.call('PUT', '/v1/account', {
      auth: company.basic,
      body: { billing_address: { ...german, vat_number: 'DE 123 456 789' } },
    })
    expect(b2b.body.account.next_invoice_estimate).toMatchObject({ subtotal: 6000, vat: 0, total: 6000 })
    const b2c = await hub.call('PUT', '/v1/account', {
      auth: company.basic,
      body: { billing_address: german },
    })
    expect(b2c.body.account.next_invoice_estimate).toMatchObject({ subtotal: 6000, vat: 1140, total: 7140 })
    const greek = await hub.call('PUT', '/v1/account', {
      auth: company.basic,
      body: {
        billing_address: { ...ADDRESS, country: 'GR', postal_code: '10552', vat_number: 'EL094014201' },
      },
    })
    expect(greek.status).toBe(200)
  })

  it('answers 400 naming the field for bad input', async () => {
    const company = await hub.createCompany()
    const cases: [unknown, string][] = [
      [{ name: '' }, 'name'],
      [{ name: 'x'.repeat(121) }, 'name'],
      [{ plan: 'gold' }, 'plan'],
      [{ plan: 'custom' }, 'plan'],
      [{ billing_address: 'Paris' }, 'billing_address'],
      [{ billing_address: { ...ADDRESS, country: 'XX' } }, 'billing_address.country'],
      [{ billing_address: { ...ADDRESS, country: 'France' } }, 'billing_address.country'],
      [{ billing_address: { ...ADDRESS, country: 'EU' } }, 'billing_address.country'],
      [{ billing_address: { ...ADDRESS, line1: undefined } }, 'billing_address.line1'],
      [{ billing_address: { ...ADDRESS, company_name: '  ' } }, 'billing_address.company_name'],
      [{ billing_address: { ...ADDRESS, postal_code: '' } }, 'billing_address.postal_code'],
      [{ billing_address: { ...ADDRESS, postal_code: '75001; DROP' } }, 'billing_address.postal_code'],
      [{ billing_address: { ...ADDRESS, vat_number: 'DE123456789' } }, 'billing_address.vat_number'],
      [
        { billing_address: { ...ADDRESS, country: 'GR', vat_number: 'GR094014201' } },
        'billing_address.vat_number',
      ],
      [{ billing_address: { ...ADDRESS, vat_number: 'FR!' } }, 'billing_address.vat_number'],
      [{ billing_address: { ...ADDRESS, country: 'US', vat_number: '#' } }, 'billing_address.vat_number'],
    ]
    for (const [body, field] of cases) {
      const res = await hub.call('PUT', '/v1/account', { auth: company.basic, body })
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.field, JSON.stringify(body)).toBe(field)
    }
    const account = await getAccount(company)
    expect(account).toMatchObject({ plan: { id: 'essentials' }, billing_address: null })
  })

  it('keeps a custom plan set up by an operator, at its negotiated price', async () => {
    const company = await hub.createCompany()
    await setCustomPlan(hub.db, hub.clock, company.id, 4200)
    const res = await hub.call('PUT', '/v1/account', {
      auth: company.basic,
      body: { plan: 'custom', name: 'VIP' },
    })
    expect(res.status).toBe(200)
    expect(res.body.account.plan).toEqual({ id: 'custom', name: 'Custom', seat_price: 4200, currency: 'EUR' })
    const down = await hub.call('PUT', '/v1/account', { auth: company.basic, body: { plan: 'essentials' } })
    expect(down.body.account.plan.seat_price).toBe(3000)
  })

  securityCases(() => hub, {
    method: 'PUT',
    path: () => '/v1/account',
    body: { name: 'Sec' },
    adminOnly: true,
  })
})

describe('PUT /v1/account/payment_method', () => {
  it('stores a provider reference and shows it on the account; a new one replaces it', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('PUT', '/v1/account/payment_method', {
      auth: company.adminBearer,
      body: STRIPE,
    })
    expect(res.status).toBe(200)
    expect(res.body.payment_method).toEqual({
      provider: 'stripe',
      reference: STRIPE.reference,
      brand: 'visa',
      last4: '4242',
      exp_month: 12,
      exp_year: 2030,
      created_at: hub.clock.now().toISOString(),
      updated_at: hub.clock.now().toISOString(),
    })
    expect((await getAccount(company)).payment_method).toEqual(res.body.payment_method)
    const mandate = await hub.call('PUT', '/v1/account/payment_method', {
      auth: company.basic,
      body: { provider: 'gocardless', reference: 'MD0000XH9A3T4C' },
    })
    expect(mandate.status).toBe(200)
    expect((await getAccount(company)).payment_method).toMatchObject({
      provider: 'gocardless',
      reference: 'MD0000XH9A3T4C',
      last4: null,
      exp_year: null,
    })
    const rows = await hub.db.select().from(paymentMethods).where(eq(paymentMethods.companyId, company.id))
    expect(rows).toHaveLength(1)
  })

  it('refuses card numbers wherever they are, and stores nothing', async () => {
    const company = await hub.createCompany()
    const bodies: [unknown, string][] = [
      [{ ...STRIPE, reference: '4242424242424242' }, 'reference'],
      [{ ...STRIPE, card_number: '4242 4242 4242 4242' }, 'card_number'],
      [{ ...STRIPE, card: { number: 4242424242424242, cvc: '123' } }, 'card.number'],
      [{ ...STRIPE, brand: 'amex 3782-822463-10005' }, 'brand'],
      ['{"provider":"stripe","pan":"4111111111111111"', '(body)'],
    ]
    for (const [body, field] of bodies) {
      const res = await hub.call('PUT', '/v1/account/payment_method', { auth: company.basic, body })
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.message).toBe(CARD_NUMBER_REFUSED)
      expect(res.body.field).toBe(field)
      // Nothing of the number comes back (the request id is random hex: it may hold "4242").
      const { request_id: _requestId, ...answer } = res.body
      expect(JSON.stringify(answer)).not.toMatch(/4242|4111|3782/)
    }
    expect((await getAccount(company)).payment_method).toBeNull()
  })

  it('answers 400 naming the field for bad input', async () => {
    const company = await hub.createCompany()
    const cases: [unknown, string][] = [
      [{ reference: STRIPE.reference }, 'provider'],
      [{ ...STRIPE, provider: 'paypal' }, 'provider'],
      [{ provider: 'stripe' }, 'reference'],
      [{ ...STRIPE, reference: 'tok_visa' }, 'reference'],
      [{ ...STRIPE, reference: 'pm_' }, 'reference'],
      [{ provider: 'gocardless', reference: STRIPE.reference }, 'reference'],
      [{ provider: 'stripe', reference: 'MD0000XH9A3T4C' }, 'reference'],
      [{ ...STRIPE, last4: '424' }, 'last4'],
      [{ ...STRIPE, last4: '42a4' }, 'last4'],
      [{ ...STRIPE, last4: 4242 }, 'last4'],
      [{ ...STRIPE, exp_month: 13 }, 'exp_month'],
      [{ ...STRIPE, exp_month: 0 }, 'exp_month'],
      [{ ...STRIPE, exp_year: undefined }, 'exp_year'],
      [{ ...STRIPE, exp_month: undefined }, 'exp_month'],
      [{ ...STRIPE, exp_month: 2, exp_year: 2026 }, 'exp_year'], // expired: the clock says March 2026
      [{ ...STRIPE, brand: '' }, 'brand'],
    ]
    for (const [body, field] of cases) {
      const res = await hub.call('PUT', '/v1/account/payment_method', { auth: company.basic, body })
      expect(res.status, JSON.stringify(body)).toBe(400)
      expect(res.body.field, JSON.stringify(body)).toBe(field)
    }
    expect((await getAccount(company)).payment_method).toBeNull()
    const thisMonth = await hub.call('PUT', '/v1/account/payment_method', {
      auth: company.basic,
      body: { ...STRIPE, exp_month: 3, exp_year: 2026 },
    })
    expect(thisMonth.status).toBe(200)
  })

  securityCases(() => hub, {
    method: 'PUT',
    path: () => '/v1/account/payment_method',
    body: STRIPE,
    adminOnly: true,
  })
})

describe('DELETE /v1/account/payment_method', () => {
  it('removes the payment method; a second delete answers 404', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    await hub.call('PUT', '/v1/account/payment_method', { auth: company.basic, body: STRIPE })
    await hub.call('PUT', '/v1/account/payment_method', { auth: other.basic, body: STRIPE })
    const res = await hub.call('DELETE', '/v1/account/payment_method', { auth: company.adminBearer })
    expect(res.status).toBe(204)
    expect(res.body).toBeNull()
    expect((await getAccount(company)).payment_method).toBeNull()
    expect((await getAccount(other)).payment_method).not.toBeNull()
    const again = await hub.call('DELETE', '/v1/account/payment_method', { auth: company.basic })
    expect(again.status).toBe(404)
  })

  securityCases(() => hub, { method: 'DELETE', path: () => '/v1/account/payment_method', adminOnly: true })
})
