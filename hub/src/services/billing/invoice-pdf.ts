import type { invoices } from '../../db/schema/index.ts'
import { formatMoney } from './money.ts'
import { A4, type PdfPage, type PdfText, writePdf } from './pdf-writer.ts'
import { parsePeriod } from './periods.ts'
import { formatRate } from './vat.ts'

type InvoiceRow = typeof invoices.$inferSelect

const LEFT = 50
const RIGHT = A4.width - 50
const ROW = 14
const BOTTOM = 90
const COLS = { qty: 305, days: 370, unit: 455, amount: RIGHT } as const

const isoDay = (d: Date) => d.toISOString().slice(0, 10)
const clip = (s: string, max: number) => (s.length > max ? `${s.slice(0, max - 3)}...` : s)

function wrap(text: string, width: number): string[] {
  const out: string[] = []
  let line = ''
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line)
      line = word
    } else line = line ? `${line} ${word}` : word
  }
  if (line) out.push(line)
  return out
}

/**
 * The invoice as a PDF, from the stored row alone (its lines and parties are snapshots), so a
 * lost blob can be rendered again identically. Long invoices (a company with a thousand
 * numbers) flow over as many pages as needed, the table header repeated on each.
 */
export function renderInvoicePdf(invoice: InvoiceRow): Uint8Array {
  const period = parsePeriod(invoice.period)
  const lastDay = new Date(period.end.getTime() - 1)
  const money = (minor: number) => formatMoney(minor, invoice.currency)
  const pages: PdfPage[] = []
  let texts: PdfText[] = []
  let lines: NonNullable<PdfPage['lines']> = []
  let y = 0

  const tableHeader = () => {
    texts.push(
      { x: LEFT, y, text: 'Description', bold: true },
      { x: COLS.qty, y, text: 'Qty', bold: true, align: 'right' },
      { x: COLS.days, y, text: 'Days', bold: true, align: 'right' },
      { x: COLS.unit, y, text: 'Unit / month', bold: true, align: 'right' },
      { x: COLS.amount, y, text: 'Amount', bold: true, align: 'right' },
    )
    lines.push({ x1: LEFT, y1: y - 4, x2: RIGHT, y2: y - 4 })
    y -= ROW + 4
  }
  const newPage = () => {
    texts = []
    lines = []
    pages.push({ texts, lines })
    y = A4.height - 60
    texts.push(
      { x: LEFT, y, text: 'INVOICE', size: 18, bold: true },
      { x: RIGHT, y, text: invoice.number, size: 12, bold: true, align: 'right' },
    )
    y -= 30
  }
  const ensureRoom = (rows: number, withHeader: boolean) => {
    if (y - rows * ROW >= BOTTOM) return
    newPage()
    if (withHeader) tableHeader()
  }

  newPage()
  const top = y
  texts.push({ x: LEFT, y, text: 'From', bold: true })
  y -= ROW
  for (const l of [invoice.seller.name, ...invoice.seller.lines]) {
    texts.push({ x: LEFT, y, text: clip(l, 50) })
    y -= ROW
  }
  if (invoice.seller.vat_number) {
    texts.push({ x: LEFT, y, text: `VAT number: ${invoice.seller.vat_number}` })
    y -= ROW
  }
  const leftBottom = y
  y = top
  const right = 320
  texts.push({ x: right, y, text: 'Billed to', bold: true })
  y -= ROW
  for (const l of [invoice.customer.name, ...invoice.customer.lines]) {
    texts.push({ x: right, y, text: clip(l, 45) })
    y -= ROW
  }
  if (invoice.customer.vat_number) {
    texts.push({ x: right, y, text: `VAT number: ${invoice.customer.vat_number}` })
    y -= ROW
  }
  y = Math.min(y, leftBottom) - ROW
  for (const [label, value] of [
    ['Invoice date', isoDay(invoice.issuedAt)],
    ['Period', `${isoDay(period.start)} to ${isoDay(lastDay)}`],
    ['Plan', invoice.plan],
    // An issued invoice never changes: its payment status lives in the API, not the PDF.
    ['Payment', 'Due on receipt'],
  ] as const) {
    texts.push({ x: LEFT, y, text: `${label}:`, bold: true }, { x: LEFT + 80, y, text: value })
    y -= ROW
  }
  y -= ROW
  tableHeader()
  for (const line of invoice.lines) {
    ensureRoom(1, true)
    texts.push(
      { x: LEFT, y, text: clip(line.description, 46) },
      { x: COLS.qty, y, text: String(line.quantity), align: 'right' },
      { x: COLS.days, y, text: `${line.days}/${line.days_in_period}`, align: 'right' },
      { x: COLS.unit, y, text: money(line.unit_price), align: 'right' },
      { x: COLS.amount, y, text: money(line.amount), align: 'right' },
    )
    y -= ROW
  }
  if (invoice.lines.length === 0) {
    texts.push({ x: LEFT, y, text: 'Nothing was billed this period.' })
    y -= ROW
  }
  const note = invoice.vatNote ? wrap(invoice.vatNote, 95) : []
  ensureRoom(5 + note.length, false)
  lines.push({ x1: COLS.days, y1: y + 10, x2: RIGHT, y2: y + 10 })
  y -= 4
  for (const [label, value, bold] of [
    ['Subtotal', money(invoice.subtotalMinor), false],
    [`VAT ${formatRate(invoice.vatRateBp)}`, money(invoice.vatMinor), false],
    ['Total', money(invoice.totalMinor), true],
  ] as const) {
    texts.push(
      { x: COLS.days, y, text: label, bold },
      { x: COLS.amount, y, text: value, bold, align: 'right' },
    )
    y -= ROW
  }
  y -= ROW
  for (const l of note) {
    texts.push({ x: LEFT, y, text: l, size: 8 })
    y -= 11
  }
  pages.forEach((page, i) => {
    page.texts.push({ x: RIGHT, y: 40, text: `Page ${i + 1} of ${pages.length}`, size: 8, align: 'right' })
  })
  return writePdf(pages, { title: `Invoice ${invoice.number}`, created: invoice.issuedAt })
}
