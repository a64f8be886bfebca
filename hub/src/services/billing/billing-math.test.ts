import { describe, expect, it } from 'vitest'
import { containsCardNumber, luhnValid } from './card-number.ts'
import { type BillableNumber, computeInvoice } from './invoice-calc.ts'
import { formatMoney } from './money.ts'
import { billableDays, parsePeriod, prorate, runInstantOfMonth, shiftPeriod } from './periods.ts'
import { planOf } from './plans.ts'
import { formatRate, vatOf, vatTreatment } from './vat.ts'

const d = (iso: string) => new Date(iso)
const essentials = planOf({ plan: 'essentials', customSeatPriceMinor: null })

function number(createdAt: string, releasedAt: string | null = null, extra: Partial<BillableNumber> = {}) {
  return {
    id: 1,
    name: 'Paris',
    e164: '+33176390861',
    country: 'FR',
    monthlyPriceMinor: 600,
    currency: 'EUR',
    verificationState: 'active',
    createdAt: d(createdAt),
    releasedAt: releasedAt ? d(releasedAt) : null,
    ...extra,
  }
}

describe('billing periods', () => {
  it.each([
    ['2026-01', 31, '2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z'],
    ['2025-11', 30, '2025-11-01T00:00:00.000Z', '2025-12-01T00:00:00.000Z'],
    ['2026-02', 28, '2026-02-01T00:00:00.000Z', '2026-03-01T00:00:00.000Z'],
    ['2024-02', 29, '2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z'],
    ['2026-12', 31, '2026-12-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z'],
  ])('%s has %i days', (id, days, start, end) => {
    const p = parsePeriod(id)
    expect(p.days).toBe(days)
    expect(p.start.toISOString()).toBe(start)
    expect(p.end.toISOString()).toBe(end)
  })

  it('refuses what is not YYYY-MM', () => {
    for (const bad of ['2026-13', '2026-00', '2026-2', '26-02', '2026-02-01', '']) {
      expect(() => parsePeriod(bad), bad).toThrow(/YYYY-MM/)
    }
  })

  it('shifts across years and runs on the 1st at 00:05 UTC', () => {
    expect(shiftPeriod('2026-12', 1)).toBe('2027-01')
    expect(shiftPeriod('2026-01', -1)).toBe('2025-12')
    expect(runInstantOfMonth('2026-04').toISOString()).toBe('2026-04-01T00:05:00.000Z')
  })
})

describe('pro rata', () => {
  // [case, period, created, released, days billed, amount of a 6.00 EUR number]
  it.each([
    ['full month (31 days)', '2026-01', '2025-06-10T12:00:00Z', null, 31, 600],
    ['created on the 16th of a 30-day month', '2025-11', '2025-11-16T14:30:00Z', null, 15, 300],
    ['created on the 1st at midnight', '2025-11', '2025-11-01T00:00:00Z', null, 30, 600],
    ['created on the last day', '2026-01', '2026-01-31T23:59:00Z', null, 1, 19],
    [
      'released on the 15th of a 30-day month',
      '2025-11',
      '2025-01-01T00:00:00Z',
      '2025-11-15T10:00:00Z',
      15,
      300,
    ],
    [
      'released at midnight starting the 15th',
      '2025-11',
      '2025-01-01T00:00:00Z',
      '2025-11-15T00:00:00Z',
      14,
      280,
    ],
    ['taken and released the same day', '2025-11', '2025-11-10T08:00:00Z', '2025-11-10T18:00:00Z', 1, 20],
    ['released before the period', '2025-11', '2025-01-01T00:00:00Z', '2025-10-31T23:00:00Z', 0, 0],
    ['created after the period', '2025-11', '2025-12-01T00:00:00Z', null, 0, 0],
    ['February, full', '2026-02', '2025-01-01T00:00:00Z', null, 28, 600],
    ['February, created on the 15th (14 of 28 days)', '2026-02', '2026-02-15T09:00:00Z', null, 14, 300],
    ['leap February, created on the 15th (15 of 29 days)', '2024-02', '2024-02-15T09:00:00Z', null, 15, 310],
    ['February, released on the 10th', '2026-02', '2025-01-01T00:00:00Z', '2026-02-10T12:00:00Z', 10, 214],
  ])('%s', (_case, period, created, released, days, amount) => {
    const p = parsePeriod(period)
    expect(billableDays(p, d(created), released ? d(released) : null)).toBe(days)
    const draft = computeInvoice({
      period: p,
      plan: essentials,
      numbers: [number(created, released)],
      users: [],
      address: null,
      sellerCountry: 'FR',
    })
    const line = draft.lines.find((l) => l.kind === 'number')
    if (days === 0) expect(line).toBeUndefined()
    else expect(line).toMatchObject({ days, days_in_period: p.days, amount, unit_price: 600, quantity: 1 })
  })

  it('rounds half up to the cent with integers only', () => {
    expect(prorate(600, 1, 31)).toBe(19) // 19.35
    expect(prorate(100, 1, 8)).toBe(13) // 12.5 → 13
    expect(prorate(999_999, 30, 30)).toBe(999_999)
    expect(Number.isInteger(prorate(5000, 17, 29))).toBe(true)
  })
})

describe('computeInvoice', () => {
  it('bills each number at its own price and the seats pro rata of each user', () => {
    const p = parsePeriod('2025-11')
    const draft = computeInvoice({
      period: p,
      plan: planOf({ plan: 'professional', customSeatPriceMinor: null }),
      numbers: [
        number('2025-01-01T00:00:00Z', null, { id: 1, country: 'FR', monthlyPriceMinor: 600 }),
        number('2025-11-16T00:00:00Z', null, {
          id: 2,
          country: 'IT',
          monthlyPriceMinor: 800,
          e164: '+390212345678',
        }),
      ],
      users: [
        { createdAt: d('2025-01-01T00:00:00Z') },
        { createdAt: d('2025-01-01T00:00:00Z') },
        { createdAt: d('2025-11-16T08:00:00Z') },
        { createdAt: d('2025-12-02T08:00:00Z') }, // after the period: not billed
      ],
      address: {
        country: 'FR',
        vat_number: null,
        company_name: 'A',
        line1: 'x',
        line2: null,
        city: 'P',
        postal_code: '75002',
      },
      sellerCountry: 'FR',
    })
    expect(draft.lines.map((l) => [l.kind, l.number_id, l.days, l.amount])).toEqual([
      ['number', 1, 30, 600],
      ['number', 2, 15, 400],
      ['seats', null, 75, 12500], // 30 + 30 + 15 seat-days of 5,000 / 30
    ])
    expect(draft.lines[2]).toMatchObject({ quantity: 3, unit_price: 5000 })
    expect(draft).toMatchObject({
      subtotalMinor: 13500,
      vatRateBp: 2000,
      vatMinor: 2700,
      totalMinor: 16200,
      currency: 'EUR',
    })
  })

  it('bills numbers still waiting for documents from their creation, and rejected ones not at all', () => {
    const p = parsePeriod('2026-02')
    const draft = computeInvoice({
      period: p,
      plan: essentials,
      numbers: [
        number('2026-01-01T00:00:00Z', null, { id: 1, verificationState: 'pending_documents' }),
        number('2026-01-01T00:00:00Z', null, { id: 2, verificationState: 'in_review' }),
        number('2026-01-01T00:00:00Z', null, { id: 3, verificationState: 'rejected' }),
      ],
      users: [],
      address: null,
      sellerCountry: 'FR',
    })
    expect(draft.lines.map((l) => l.number_id)).toEqual([1, 2])
  })

  it('uses the negotiated seat price of a custom plan', () => {
    const plan = planOf({ plan: 'custom', customSeatPriceMinor: 4200 })
    expect(plan).toMatchObject({ id: 'custom', seatPriceMinor: 4200 })
    const draft = computeInvoice({
      period: parsePeriod('2026-02'),
      plan,
      numbers: [],
      users: [{ createdAt: d('2025-01-01T00:00:00Z') }],
      address: {
        country: 'US',
        vat_number: null,
        company_name: 'A',
        line1: 'x',
        line2: null,
        city: 'NY',
        postal_code: '10001',
      },
      sellerCountry: 'FR',
    })
    expect(draft).toMatchObject({ subtotalMinor: 4200, vatMinor: 0, totalMinor: 4200 })
  })

  it('refuses a number priced in another currency rather than adding apples to oranges', () => {
    expect(() =>
      computeInvoice({
        period: parsePeriod('2026-02'),
        plan: essentials,
        numbers: [number('2026-01-01T00:00:00Z', null, { currency: 'USD' })],
        users: [],
        address: null,
        sellerCountry: 'FR',
      }),
    ).toThrow(/USD/)
  })
})

describe('VAT', () => {
  it.each([
    ['FR seller, no billing address: French VAT', 'FR', null, 2000, null],
    ['FR seller, France, business', 'FR', { country: 'FR', vat_number: 'FR40303265045' }, 2000, null],
    ['FR seller, France, no VAT number', 'FR', { country: 'FR', vat_number: null }, 2000, null],
    [
      'FR seller, Germany with a VAT number: reverse charge',
      'FR',
      { country: 'DE', vat_number: 'DE123456789' },
      0,
      /Reverse charge/,
    ],
    [
      'FR seller, Germany without a VAT number: German VAT',
      'FR',
      { country: 'DE', vat_number: null },
      1900,
      /DE at 19%/,
    ],
    [
      'FR seller, Finland without a VAT number: 25.5%',
      'FR',
      { country: 'FI', vat_number: null },
      2550,
      /25.5%/,
    ],
    [
      'FR seller, United States: outside the EU',
      'FR',
      { country: 'US', vat_number: null },
      0,
      /outside the EU/,
    ],
    [
      'FR seller, Switzerland with a VAT number: outside the EU',
      'FR',
      { country: 'CH', vat_number: 'CHE123456789MWST' },
      0,
      /outside/,
    ],
    ['DE seller, no billing address: German VAT', 'DE', null, 1900, null],
    [
      'DE seller, Germany, business: German VAT',
      'DE',
      { country: 'DE', vat_number: 'DE123456789' },
      1900,
      null,
    ],
    ['DE seller, Germany, no VAT number: German VAT', 'DE', { country: 'DE', vat_number: null }, 1900, null],
    [
      'DE seller, France with a VAT number: reverse charge',
      'DE',
      { country: 'FR', vat_number: 'FR40303265045' },
      0,
      /Reverse charge.*FR40303265045/,
    ],
    [
      'DE seller, France without a VAT number: French VAT',
      'DE',
      { country: 'FR', vat_number: null },
      2000,
      /FR at 20% \(One-Stop Shop\)/,
    ],
    ['GR seller, Greece: Greek VAT', 'GR', { country: 'GR', vat_number: 'EL123456789' }, 2400, null],
  ])('%s', (_case, seller, address, rateBp, note) => {
    const t = vatTreatment(seller, address)
    expect(t.rateBp).toBe(rateBp)
    if (note) expect(t.note).toMatch(note)
    else expect(t.note).toBeNull()
  })

  it('refuses a seller outside the EU: these are the rules of an EU seller', () => {
    expect(() => vatTreatment('US', null)).toThrow(/not an EU country/)
    expect(() => vatTreatment('toString', { country: 'FR', vat_number: null })).toThrow(/not an EU country/)
  })

  it('computes VAT on integers, rounding half up', () => {
    expect(vatOf(13500, 2000)).toBe(2700)
    expect(vatOf(19, 2000)).toBe(4) // 3.8
    expect(vatOf(1, 2550)).toBe(0) // 0.255
    expect(vatOf(2, 2500)).toBe(1) // 0.5 → 1
    expect(vatOf(123457, 1900)).toBe(23457) // 23456.83
    expect(formatRate(2550)).toBe('25.5%')
    expect(formatRate(2000)).toBe('20%')
  })
})

describe('money', () => {
  it('formats minor units', () => {
    expect(formatMoney(0, 'EUR')).toBe('0.00 EUR')
    expect(formatMoney(5, 'EUR')).toBe('0.05 EUR')
    expect(formatMoney(16200, 'EUR')).toBe('162.00 EUR')
    expect(formatMoney(123456789, 'EUR')).toBe('1,234,567.89 EUR')
    expect(formatMoney(-250, 'EUR')).toBe('-2.50 EUR')
  })
})

describe('card number detection', () => {
  it.each([
    ['a Visa test card', '4242424242424242'],
    ['grouped with spaces', '{"reference":"4242 4242 4242 4242"}'],
    ['grouped with dashes', 'card: 4242-4242-4242-4242, exp 12/30'],
    ['followed by another group', '"4242424242424242 12"'],
    ['an Amex (15 digits)', '{"x": 378282246310005}'],
    ['a 13-digit Visa', '4222222222222'],
    ['a 19-digit card', '6222021000000000009'],
    ['inside a token', 'pm_4242424242424242'],
  ])('finds %s', (_case, text) => {
    expect(containsCardNumber(text)).toBe(true)
  })

  it.each([
    ['a number failing Luhn', '4242424242424241'],
    ['a Stripe PaymentMethod id', 'pm_1MqLiJLkdIwHu7ixUEgbFdYF'],
    ['a GoCardless mandate', 'MD0000XH9A3T4C'],
    ['a last4 and an expiry', '{"last4":"4242","exp_month":12,"exp_year":2030}'],
    ['12 digits', '424242424242'],
    ['a 20-digit reference', '42424242424242424242'],
  ])('leaves %s alone', (_case, text) => {
    expect(containsCardNumber(text)).toBe(false)
  })

  it('implements Luhn', () => {
    expect(luhnValid('79927398713')).toBe(true)
    expect(luhnValid('79927398710')).toBe(false)
  })
})
