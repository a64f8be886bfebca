import { describe, expect, it } from 'vitest'
import { parsePdf } from '../../../test/helpers/billing-factory.ts'
import type { InvoiceLine } from '../../db/schema/billing-types.ts'
import type { invoices } from '../../db/schema/index.ts'
import { parseEnv } from '../../env.ts'
import { renderInvoicePdf } from './invoice-pdf.ts'
import { pdfString, writePdf } from './pdf-writer.ts'
import { sellerOf, sellerSnapshot, unconfiguredSeller } from './seller.ts'

type InvoiceRow = typeof invoices.$inferSelect

const SELLER = sellerSnapshot(
  sellerOf(
    parseEnv({
      INVOICE_SELLER_NAME: 'Opérateur Exemple SAS',
      INVOICE_SELLER_ADDRESS: '10 rue de la Paix|75002 Paris',
      INVOICE_SELLER_COUNTRY: 'FR',
      INVOICE_SELLER_VAT_NUMBER: 'FR40303265045',
    }),
  ),
)

function numberLine(i: number): InvoiceLine {
  return {
    kind: 'number',
    description: `Number +3317639${String(i).padStart(4, '0')} (FR) - Line ${i}`,
    number_id: i,
    country: 'FR',
    quantity: 1,
    unit_price: 600,
    days: 28,
    days_in_period: 28,
    amount: 600,
  }
}

function invoiceRow(lines: InvoiceLine[], extra: Partial<InvoiceRow> = {}): InvoiceRow {
  const subtotal = lines.reduce((s, l) => s + l.amount, 0)
  return {
    id: 7,
    companyId: 42,
    period: '2026-02',
    number: 'SB-202602-000042',
    status: 'issued',
    plan: 'Professional',
    currency: 'EUR',
    lines,
    subtotalMinor: subtotal,
    vatRateBp: 2000,
    vatMinor: Math.round(subtotal / 5),
    totalMinor: subtotal + Math.round(subtotal / 5),
    vatNote: null,
    customer: {
      name: 'Société (Générale) \\ Test',
      lines: ['1 rue de Rivoli', '75001 Paris', 'France'],
      country: 'FR',
      vat_number: 'FR12345678901',
    },
    seller: SELLER,
    pdfKey: 'c/42/invoices/2026-02.pdf',
    issuedAt: new Date('2026-03-01T00:05:00Z'),
    paidAt: null,
    createdAt: new Date('2026-03-01T00:05:00Z'),
    updatedAt: new Date('2026-03-01T00:05:00Z'),
    ...extra,
  }
}

describe('invoice PDF', () => {
  it('is a well-formed PDF 1.4 showing seller, customer, period, lines and totals', () => {
    const bytes = renderInvoicePdf(invoiceRow([numberLine(1), numberLine(2)]))
    const pdf = parsePdf(bytes)
    expect(pdf.version).toBe('1.4')
    expect(pdf.pages).toBe(1)
    expect(pdf.strings).toEqual(
      expect.arrayContaining([
        'INVOICE',
        'SB-202602-000042',
        'Opérateur Exemple SAS',
        '10 rue de la Paix',
        '75002 Paris',
        'France',
        'VAT number: FR40303265045',
        'Société (Générale) \\ Test',
        'VAT number: FR12345678901',
        '2026-02-01 to 2026-02-28',
        'Number +33176390001 (FR) - Line 1',
        'Subtotal',
        '12.00 EUR',
        'VAT 20%',
        '2.40 EUR',
        'Total',
        '14.40 EUR',
      ]),
    )
    expect(Buffer.from(bytes).toString('latin1')).toContain('/BaseFont /Helvetica')
  })

  it('prints the bare seller name, and no VAT number line, without seller settings', () => {
    const row = invoiceRow([numberLine(1)], { seller: sellerSnapshot(unconfiguredSeller) })
    const { strings } = parsePdf(renderInvoicePdf(row))
    expect(strings.slice(strings.indexOf('From'), strings.indexOf('Billed to'))).toEqual([
      'From',
      'Switchboard',
    ])
    expect(strings.filter((s) => s.startsWith('VAT number'))).toEqual(['VAT number: FR12345678901'])
  })

  it('flows a long invoice over several pages, every line and the totals present once', () => {
    const lines = Array.from({ length: 130 }, (_, i) => numberLine(i + 1))
    const pdf = parsePdf(renderInvoicePdf(invoiceRow(lines)))
    expect(pdf.pages).toBeGreaterThan(2)
    for (const l of lines)
      expect(
        pdf.strings.filter((s) => s === l.description),
        l.description,
      ).toHaveLength(1)
    expect(pdf.strings.filter((s) => s === 'Total')).toHaveLength(1)
    expect(pdf.strings).toContain(`Page ${pdf.pages} of ${pdf.pages}`)
    expect(pdf.strings).toContain('936.00 EUR') // 780 + 20 % VAT
  })

  it('prints the reverse-charge note and renders the same bytes twice (re-rendered if the blob is lost)', () => {
    const row = invoiceRow([numberLine(1)], {
      vatRateBp: 0,
      vatMinor: 0,
      totalMinor: 600,
      vatNote:
        'Reverse charge: VAT to be accounted for by the customer (Article 196, Directive 2006/112/EC).',
    })
    const a = renderInvoicePdf(row)
    expect(renderInvoicePdf(row)).toEqual(a)
    expect(parsePdf(a).text).toContain('Reverse charge')
  })

  it('escapes PDF string delimiters and encodes non-ASCII as WinAnsi', () => {
    expect(pdfString('a(b)c\\d')).toBe('(a\\(b\\)c\\\\d)')
    expect(pdfString('é€')).toBe('(\\351\\200)')
    expect(pdfString('日本')).toBe('(??)')
    expect(() => writePdf([], { title: 'x', created: new Date(0) })).toThrow()
  })
})
