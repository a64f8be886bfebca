/**
 * A minimal PDF 1.4 writer: text in the standard Helvetica fonts (no embedding needed, every
 * viewer has them) and hairlines, on A4 pages. Enough for invoices, with no dependency.
 * Output is pure ASCII: non-ASCII text goes through WinAnsiEncoding as octal escapes, so the
 * file stays greppable. Deterministic: the same input gives the same bytes.
 */

export const A4 = { width: 595, height: 842 } as const

export type PdfText = {
  x: number
  y: number
  text: string
  size?: number
  bold?: boolean
  /** right: x is where the text ends. */
  align?: 'left' | 'right'
}
export type PdfLine = { x1: number; y1: number; x2: number; y2: number }
export type PdfPage = { texts: PdfText[]; lines?: PdfLine[] }

/** Unicode → WinAnsiEncoding (cp1252) for the code points outside Latin-1 it has. */
const WIN_ANSI_EXTRA: Readonly<Record<string, number>> = {
  '€': 0x80,
  '‚': 0x82,
  ƒ: 0x83,
  '„': 0x84,
  '…': 0x85,
  '†': 0x86,
  '‡': 0x87,
  ˆ: 0x88,
  '‰': 0x89,
  Š: 0x8a,
  '‹': 0x8b,
  Œ: 0x8c,
  Ž: 0x8e,
  '\u2018': 0x91,
  '\u2019': 0x92,
  '\u201c': 0x93,
  '\u201d': 0x94,
  '•': 0x95,
  '–': 0x96,
  '—': 0x97,
  '˜': 0x98,
  '™': 0x99,
  š: 0x9a,
  '›': 0x9b,
  œ: 0x9c,
  ž: 0x9e,
  Ÿ: 0x9f,
}

function winAnsiCode(ch: string): number {
  const cp = ch.codePointAt(0) ?? 0x3f
  if (cp >= 0x20 && cp <= 0x7e) return cp
  if (cp >= 0xa0 && cp <= 0xff) return cp
  return WIN_ANSI_EXTRA[ch] ?? 0x3f // '?' for what Helvetica cannot show
}

/** A PDF literal string: `(…)` with \, ( and ) escaped and non-ASCII bytes as octal. */
export function pdfString(text: string): string {
  let out = '('
  for (const ch of text) {
    const code = winAnsiCode(ch)
    if (code === 0x28 || code === 0x29 || code === 0x5c) out += `\\${String.fromCharCode(code)}`
    else if (code >= 0x80) out += `\\${code.toString(8).padStart(3, '0')}`
    else out += String.fromCharCode(code)
  }
  return `${out})`
}

// Helvetica advance widths (1/1000 em) of the characters amounts and short labels use; the
// rest are approximated by the width of a digit. Only right alignment needs them.
const WIDTHS: Readonly<Record<string, number>> = {
  ' ': 278,
  ',': 278,
  '.': 278,
  '-': 333,
  '%': 889,
  '(': 333,
  ')': 333,
  '/': 278,
  ':': 278,
  E: 667,
  U: 722,
  R: 722,
}
const DIGIT_WIDTH = 556

export function textWidth(text: string, size: number): number {
  let units = 0
  for (const ch of text) units += WIDTHS[ch] ?? DIGIT_WIDTH
  return (units * size) / 1000
}

const num = (n: number) => String(Math.round(n * 100) / 100)

function pageContent(page: PdfPage): string {
  const ops: string[] = []
  for (const l of page.lines ?? []) {
    ops.push(`0.5 w ${num(l.x1)} ${num(l.y1)} m ${num(l.x2)} ${num(l.y2)} l S`)
  }
  for (const t of page.texts) {
    const size = t.size ?? 10
    const x = t.align === 'right' ? t.x - textWidth(t.text, size) : t.x
    ops.push(
      `BT /${t.bold ? 'F2' : 'F1'} ${num(size)} Tf 1 0 0 1 ${num(x)} ${num(t.y)} Tm ${pdfString(t.text)} Tj ET`,
    )
  }
  return `${ops.join('\n')}\n`
}

const pdfDate = (d: Date) => `D:${d.toISOString().replace(/[-:T]/g, '').slice(0, 14)}Z`

export function writePdf(pages: PdfPage[], info: { title: string; created: Date }): Uint8Array {
  if (pages.length === 0) throw new Error('a PDF needs at least one page')
  const objects: string[] = []
  const pageIds = pages.map((_, i) => 6 + i * 2)
  objects[1] = '<< /Type /Catalog /Pages 2 0 R >>'
  objects[2] = `<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`
  objects[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'
  objects[4] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>'
  objects[5] = `<< /Title ${pdfString(info.title)} /Producer (Switchboard) /CreationDate (${pdfDate(info.created)}) >>`
  pages.forEach((page, i) => {
    const pageId = pageIds[i] ?? 0
    const content = pageContent(page)
    objects[pageId] =
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${A4.width} ${A4.height}] ` +
      `/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents ${pageId + 1} 0 R >>`
    // Content is ASCII (pdfString escapes the rest), so its length in bytes is its length.
    objects[pageId + 1] = `<< /Length ${content.length} >>\nstream\n${content}endstream`
  })

  let out = '%PDF-1.4\n'
  const offsets: number[] = []
  for (let id = 1; id < objects.length; id++) {
    offsets[id] = out.length
    out += `${id} 0 obj\n${objects[id]}\nendobj\n`
  }
  const xrefAt = out.length
  out += `xref\n0 ${objects.length}\n0000000000 65535 f \n`
  for (let id = 1; id < objects.length; id++) out += `${String(offsets[id]).padStart(10, '0')} 00000 n \n`
  out += `trailer\n<< /Size ${objects.length} /Root 1 0 R /Info 5 0 R >>\nstartxref\n${xrefAt}\n%%EOF\n`
  return new TextEncoder().encode(out)
}
