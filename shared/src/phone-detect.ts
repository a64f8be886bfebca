import { type CountryCode, findNumbers, isSupportedCountry, Metadata } from 'libphonenumber-js/max'

/** A phone number found in a text: UTF-16 offsets into that text (end exclusive) and its E.164 form. */
export type PhoneMatch = { start: number; end: number; e164: string }

/*
 * Detection runs in two passes so that a 10,000-node CRM page stays cheap:
 *
 * 1. A linear pre-pass finds "runs": a digit, `+` or `(` followed by digits and the separators people
 *    write inside numbers (spaces, dots, dashes, slashes, parentheses), ending on a digit. Runs with
 *    fewer than 7 digits are dropped before libphonenumber ever sees them, so prose, prices, times and
 *    short ids cost one regex step.
 * 2. libphonenumber (`max` metadata, so validity checks the real number ranges, not just lengths)
 *    looks for valid numbers inside each remaining run. Each hit then goes through the context rules
 *    that libphonenumber lacks and that peers' users complain about: invoice / order / case numbers,
 *    tokens glued to letters (IBANs, VAT ids, SKUs, `v1.2.3`), prices, dates, IP addresses, and national
 *    numbers written without the trunk `0` that every local would write (`3012345678` in Germany is an
 *    id, `030 12345678` is Berlin).
 *
 * The extension of a number (`ext. 123`, `x123`) is not part of the match: the match covers exactly the
 * digits its E.164 form dials, and the extension digits never become a match of their own.
 */

// Characters that may sit inside a written number. `\u00A0`, `\u2009` and `\u202F` are the no-break and
// thin spaces French and Swiss pages put between digit groups; `\u2010-\u2015` and `\u2212` are dashes.
const RUN = /[+(]?\d[\d \t\u00A0\u2009\u202F().\-/\u2010-\u2015\u2212]*\d/g
const MIN_DIGITS = 7
const MAX_PIECE = 48
// Where one run holds several things: a tab, a double space, or a dash or slash with spaces around it.
const STRONG_SEPARATOR = /\t|[ \u00A0]{2,}|[ \u00A0\u2009\u202F][-\u2010-\u2015\u2212/][ \u00A0\u2009\u202F]/g
const STRONG_SEPARATOR_AT =
  /^(?:\t|[ \u00A0]{2}|[ \u00A0\u2009\u202F][-\u2010-\u2015\u2212/][ \u00A0\u2009\u202F])/
const NORMALISE = /[\u00A0\u2009\u202F\u2010-\u2015\u2212]/g

const LETTER = /\p{L}/u
// Scripts written without spaces between words: a number may touch their letters.
const UNSPACED_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}]/u
const ALNUM = /[\p{L}\p{N}]/u
const CURRENCY = /[$€£¥₹₽¢]/
const EXTENSION_AFTER =
  /^\s*(?:ext(?:ension|n)?|x|poste|p|durchwahl|dw|anexo|ramal|toestel|tst|ankn|int)\.?\s*[:#]?\s*\d/i
const EXTENSION_BEFORE =
  /(?:\bext(?:ension|n)?|\bx|\bposte|\bdurchwahl|\bdw|\banexo|\bramal|\btoestel|\btst|\bankn)\.?\s*[:#]?\s*$/i

// Words that, right before a digit run, say it is an identifier. Checked on lowercased words.
const ID_WORDS = new Set([
  'order',
  'orders',
  'invoice',
  'inv',
  'case',
  'ticket',
  'ref',
  'reference',
  'réf',
  'référence',
  'referencia',
  'referenz',
  'id',
  'sku',
  'serial',
  'sn',
  'imei',
  'tracking',
  'track',
  'awb',
  'shipment',
  'parcel',
  'account',
  'acct',
  'iban',
  'bic',
  'swift',
  'siret',
  'siren',
  'tva',
  'vat',
  'ust',
  'ustid',
  'idnr',
  'btw',
  'nif',
  'cif',
  'nie',
  'cpf',
  'cnpj',
  'rfc',
  'curp',
  'ssn',
  'abn',
  'acn',
  'isbn',
  'ean',
  'upc',
  'gtin',
  'zip',
  'postcode',
  'postal',
  'plz',
  'cep',
  'version',
  'ver',
  'build',
  'release',
  'timestamp',
  'epoch',
  'unix',
  'transaction',
  'txn',
  'payment',
  'receipt',
  'booking',
  'reservation',
  'confirmation',
  'pnr',
  'policy',
  'claim',
  'contract',
  'license',
  'licence',
  'card',
  'visa',
  'mastercard',
  'amex',
  'pin',
  'otp',
  'code',
  'kundennummer',
  'konto',
  'kontonummer',
  'aktenzeichen',
  'ocr',
  'rechnung',
  'rechnungsnummer',
  'bestellung',
  'bestellnummer',
  'auftrag',
  'auftragsnummer',
  'commande',
  'facture',
  'dossier',
  'pedido',
  'factura',
  'fatura',
  'nota',
  'protocolo',
  'bestelling',
  'factuur',
  'ordernummer',
  'klantnummer',
  'kundnummer',
  'faktura',
  'fakturanummer',
  'beställning',
  'ordernr',
  'quote',
  'devis',
  'lot',
  'batch',
  'item',
  'article',
  'artikel',
  'product',
  'part',
  'model',
  'incident',
  'issue',
  'bug',
  'job',
  'folio',
  'expediente',
  'matricule',
  'immatriculation',
])
// Generic "number" words: they make a run an id only when no phone word precedes them ("Tel. no. …").
// Spelled-out "number" / "numéro" stays neutral: "Numéro vert 0 800 …", "Number: (415) …" are phones.
const NUMBER_WORDS = new Set(['no', 'nr', 'num', 'nº', 'n°'])
const PHONE_WORDS = new Set([
  'tel',
  'tél',
  'tele',
  'telephone',
  'téléphone',
  'telefon',
  'telefono',
  'teléfono',
  'telefone',
  'telefoon',
  'phone',
  'ph',
  'mobile',
  'mob',
  'mobil',
  'móvil',
  'movil',
  'cell',
  'cellphone',
  'celular',
  'portable',
  'gsm',
  'handy',
  'fax',
  'call',
  'caller',
  'calls',
  'appel',
  'appelez',
  'appeler',
  'llamar',
  'llame',
  'ligar',
  'bellen',
  'ring',
  'whatsapp',
  'hotline',
  'direct',
  'switchboard',
  'standard',
  'landline',
  'festnetz',
  'zentrale',
  'contact',
  'contacto',
  'kontakt',
  'tfn',
])
const PHONE_ABBREVIATION = /\b(?:tel|tél|tlf|ph|mob|fax|gsm|tfn)\.$/i
const WORD = /\p{L}[\p{L}°º]*/gu
const CONTEXT_CHARS = 32

/**
 * Finds the phone numbers written in `text`. National formats are read as numbers of `defaultCountry`
 * (ISO 3166 alpha-2, any case); international ones (`+…`, `00…`) are read as written. An unknown
 * country leaves only international numbers. Returns matches in text order.
 */
export function findPhoneNumbers(text: string, defaultCountry: string): PhoneMatch[] {
  const upper = defaultCountry.toUpperCase()
  const country = isSupportedCountry(upper) ? upper : undefined
  const matches: PhoneMatch[] = []
  // Lower bound of the context window: never look back past the previous number.
  let floor = 0
  RUN.lastIndex = 0
  for (let run = RUN.exec(text); run !== null; run = RUN.exec(text)) {
    if (countDigits(run[0]) < MIN_DIGITS) continue
    const span = unglued(text, run.index, run.index + run[0].length)
    if (!span) continue
    // The words before the run speak for every number in it (the run holds no words); checking them
    // first spares libphonenumber the order and invoice numbers.
    if (!contextOk(contextBefore(text, span.start, floor))) continue
    for (const piece of pieces(text, span.start, span.end)) {
      for (const found of findInPiece(piece.text, country)) {
        const start = piece.start + found.start
        const end = piece.start + found.end
        if (!matchOk(text, start, end, country, found.national, floor)) continue
        matches.push({ start, end, e164: found.e164 })
        floor = end
      }
    }
  }
  return matches
}

/**
 * The run cut into the strings libphonenumber gets. A written number, list separators and `(0)` included,
 * fits in MAX_PIECE characters; a longer run is a data dump (`1 2 3 4 …`, a column of numbers joined by
 * single spaces), which libphonenumber's matcher scans in quadratic time. Such a run is cut at strong
 * separators and after any group of 7 or more digits (a whole number or id, never the head of a grouped
 * number); what is still too long is dropped.
 */
function pieces(text: string, start: number, end: number): { start: number; text: string }[] {
  if (end - start <= MAX_PIECE) return [{ start, text: text.slice(start, end) }]
  const out: { start: number; text: string }[] = []
  let pieceStart = start
  let groupDigits = 0
  for (let i = start; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 32
    if (c >= 48 && c <= 57) {
      groupDigits++
      continue
    }
    const strong = i === end || STRONG_SEPARATOR_AT.test(text.slice(i, i + 3))
    if (strong || (groupDigits >= MIN_DIGITS && (c === 32 || c === 9 || c === 0xa0))) {
      const piece = text.slice(pieceStart, i).trim()
      if (piece.length <= MAX_PIECE && countDigits(piece) >= MIN_DIGITS)
        out.push({ start: pieceStart + text.slice(pieceStart, i).indexOf(piece), text: piece })
      pieceStart = i + 1
    }
    groupDigits = 0
  }
  return out
}

function contextBefore(text: string, start: number, floor: number): string {
  const context = text.slice(Math.max(floor, start - CONTEXT_CHARS), start)
  const newline = Math.max(context.lastIndexOf('\n'), context.lastIndexOf('\r'))
  return newline >= 0 ? context.slice(newline + 1) : context
}

function countDigits(s: string): number {
  let n = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 48 && c <= 57) n++
  }
  return n
}

function isLetter(ch: string | undefined): boolean {
  return ch !== undefined && LETTER.test(ch) && !UNSPACED_SCRIPT.test(ch)
}

/**
 * A run glued to a word (`FR76 3000 …`, `INV-2024-000123`, `v10.0.19045`, `…/orders/4155550123`) is one
 * token, not a number. When the run is glued on one side but a spaced dash or slash, a tab or a double
 * space splits it (`(415) 555-0123 – 3m 12s`), only the glued segment goes. Returns the span left, or
 * null.
 */
function unglued(text: string, start: number, end: number): { start: number; end: number } | null {
  let s = start
  let e = end
  if (gluedBefore(text, s)) {
    STRONG_SEPARATOR.lastIndex = s
    const cut = STRONG_SEPARATOR.exec(text)
    if (!cut || cut.index >= e) return null
    s = cut.index + cut[0].length
  }
  if (gluedAfter(text, e)) {
    let last = -1
    STRONG_SEPARATOR.lastIndex = s
    for (let cut = STRONG_SEPARATOR.exec(text); cut && cut.index < e; cut = STRONG_SEPARATOR.exec(text)) {
      last = cut.index
    }
    if (last < 0) return null
    e = last
  }
  // The segment starts on a digit, `+` or `(`, and ends on a digit.
  while (s < e && !/[\d+(]/.test(text[s])) s++
  while (e > s && !/\d/.test(text[e - 1])) e--
  return e > s ? { start: s, end: e } : null
}

function gluedBefore(text: string, start: number): boolean {
  const before = text[start - 1]
  if (before === undefined) return false
  if (isLetter(before) || before === '#' || before === '@' || before === '_' || before === '\\') return true
  const twoBefore = text[start - 2]
  if (
    (before === '-' || before === '.' || before === '/' || before === '=') &&
    twoBefore &&
    ALNUM.test(twoBefore)
  )
    // `Tel.0612345678` is still a number.
    return !(before === '.' && PHONE_ABBREVIATION.test(text.slice(Math.max(0, start - 6), start)))
  return false
}

function gluedAfter(text: string, end: number): boolean {
  const after = text[end]
  if (after === undefined) return false
  if (isLetter(after) && !EXTENSION_AFTER.test(text.slice(end, end + 16))) return true
  if (after === '_' || after === '@') return true
  const twoAfter = text[end + 1]
  if ((after === '-' || after === '.' || after === ':') && twoAfter && /\d/.test(twoAfter)) return true
  // A decimal comma: `1.234.567,89 €`.
  return after === ',' && /^,\d{1,2}(?!\d)/.test(text.slice(end, end + 4))
}

type RunMatch = { start: number; end: number; e164: string; national: string }

const CACHE_SIZE = 4096
const pieceCache = new Map<string, RunMatch[]>()

/**
 * Valid numbers inside one run, offsets relative to the run. The run is rewritten with the same length
 * (so offsets carry over unchanged): exotic spaces and dashes become ASCII, and an international `00`
 * at the start of a number becomes ` +`, which libphonenumber only understands for countries whose
 * international prefix is `00` (a US agent still reads `0044 20 …` as a UK number).
 */
function findInPiece(piece: string, country: CountryCode | undefined): RunMatch[] {
  // CRM pages repeat the same numbers, ids and dates; libphonenumber is the expensive part.
  const key = `${country ?? ''}\u0000${piece}`
  const cached = pieceCache.get(key)
  if (cached) return cached
  const found = findInRun(piece, country)
  if (pieceCache.size >= CACHE_SIZE) pieceCache.clear()
  pieceCache.set(key, found)
  return found
}

function findInRun(run: string, country: CountryCode | undefined): RunMatch[] {
  let rewritten = run.replace(NORMALISE, (ch) =>
    ch === '\u00A0' || ch === '\u2009' || ch === '\u202F' ? ' ' : '-',
  )
  // Mexican mobiles used to be dialled `+52 1 55 …`; the `1` is gone since 2020 and libphonenumber
  // rejects it, but old signatures still carry it.
  rewritten = rewritten.replace(/\+52([ -]?)1(?=[ -]?\d{2})/g, '+52$1 ')
  rewritten = rewritten.replace(/(^|\/[ \t]*)00(?=[1-9])/g, (prefix, lead: string, at: number) =>
    ownLongerIdd(country, rewritten.slice(at + lead.length)) ? prefix : `${lead} +`,
  )
  const out: RunMatch[] = []
  for (const found of findNumbers(rewritten, { defaultCountry: country, v2: true })) {
    let start = found.startsAt
    // `(040 1234567)`: an opening parenthesis without its closing one inside the match is punctuation.
    if (rewritten[start] === '(' && !rewritten.slice(start, found.endsAt).includes(')')) {
      start++
      while (rewritten[start] === ' ' || rewritten[start] === '\t') start++
    }
    // The ` +` written for a leading `00` belongs to the match.
    if (rewritten[start] === '+' && rewritten[start - 1] === ' ' && run[start] === '0') start -= 1
    const end = trimEnd(run, found.startsAt, found.endsAt)
    out.push({ start, end, e164: found.number.number, national: found.number.formatNational() })
  }
  return out
}

const iddPatterns = new Map<CountryCode, RegExp | null>()

/**
 * Whether the digits start with the country's own international prefix, when that prefix is not plain
 * `00` (Australia's `0011`): libphonenumber reads those itself, and `0011 44 …` must not become `+11 44 …`.
 */
function ownLongerIdd(country: CountryCode | undefined, digits: string): boolean {
  if (!country) return false
  let pattern = iddPatterns.get(country)
  if (pattern === undefined) {
    const metadata = new Metadata()
    metadata.selectNumberingPlan(country)
    const idd = metadata.numberingPlan?.IDDPrefix()
    pattern = idd && idd !== '00' ? new RegExp(`^(?:${idd})`) : null
    iddPatterns.set(country, pattern)
  }
  return pattern?.test(digits) ?? false
}

/** libphonenumber may end a match on a separator; the match ends on its last digit. */
function trimEnd(run: string, start: number, end: number): number {
  let e = end
  while (e > start && !/\d/.test(run[e - 1])) e--
  return e
}

const DATE = /^\d{1,4}([./-])\d{1,2}\1\d{1,4}(?:[ T]\d{1,2}(?:[.:]\d{2}){1,2})?$/
// `4 155 550 123`, `12 345 678`: a count or an amount with thousands separators. No national number
// starts with a one- or two-digit group followed only by groups of three (Spain's `612 345 678` starts
// with three, France's `0 800 123 456` with a 0).
const THOUSANDS = /^[1-9]\d?([ .,\u00A0\u2009\u202F'’])\d{3}(?:\1\d{3})+$/
const CURRENCY_CODE = /^\s?(?:usd|eur|gbp|chf|sek|nok|dkk|mad|dh|mxn|brl|aud|cad|jpy|cny|kr)(?!\p{L})/iu
const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/

function matchOk(
  text: string,
  start: number,
  end: number,
  country: CountryCode | undefined,
  nationalFormat: string,
  floor: number,
): boolean {
  const written = text.slice(start, end)
  const before = text[start - 1]
  const after = text[end]
  // A match that only covers part of a longer digit string is a slice of an id.
  if (before !== undefined && /\d/.test(before)) return false
  if (after !== undefined && /\d/.test(after)) return false
  if (before !== undefined && isLetter(before)) return false
  if (after !== undefined && isLetter(after) && !EXTENSION_AFTER.test(text.slice(end, end + 16))) return false
  if (before !== undefined && (before === '-' || before === '.') && /\d/.test(text[start - 2] ?? ''))
    return false
  if (after !== undefined && (after === '-' || after === '.') && /\d/.test(text[end + 1] ?? '')) return false

  if (DATE.test(written) || THOUSANDS.test(written)) return false
  if (CURRENCY_CODE.test(text.slice(end, end + 5))) return false
  const quad = DOTTED_QUAD.exec(written)
  if (quad?.slice(1).every((g) => Number(g) <= 255 && (g === '0' || g[0] !== '0'))) return false

  // Where the national format starts with the trunk prefix 0 (030 … in Germany, 06 … in France), locals
  // always write it: a national-looking run without it is an id, although libphonenumber accepts it
  // (`612345678` in France). Derived from the metadata, so Brazil's `(11) 9…`, Australia's `1300 …` or
  // Ireland's `1800 …`, written without 0 by everyone, still match.
  if (!international(written, country) && /^\(?0/.test(nationalFormat) && written.match(/\d/)?.[0] !== '0')
    return false

  const context = contextBefore(text, start, floor)
  if (CURRENCY.test(context.slice(-2))) return false
  if (CURRENCY.test(text.slice(end, end + 2)) || /^\s?%/.test(text.slice(end, end + 2))) return false
  return !EXTENSION_BEFORE.test(context) && !/#\s*$/.test(context)
}

/** `+…` or an international prefix: the number says its own country. */
function international(written: string, country: CountryCode | undefined): boolean {
  const digitsStart = written.replace(/^[(\s]+/, '')
  if (digitsStart.startsWith('+') || digitsStart.startsWith('00')) return true
  // North America dials out with 011 (Australia's 0011 already starts with 00).
  if ((country === 'US' || country === 'CA') && digitsStart.startsWith('011')) return true
  return false
}

/** "Telefonnummer", "Rufnummer", "Mobilnummer" are phone words; other "…nummer" compounds are ids. */
function isPhoneWord(w: string): boolean {
  return PHONE_WORDS.has(w) || /^(?:tele|tél|phone|ruf|mobil|handy|fax|durchwahl|gsm)/.test(w)
}

/**
 * The words before a number decide whether it is an identifier: the last id word ("Order", "IBAN",
 * "Rechnung") wins unless a phone word ("Tel", "Mobile", "Call") comes after it. A bare "No." or "#"
 * counts only when no phone word is in sight ("Tel. no. 020 …" is a number, "No. 0201234567" is not).
 */
function contextOk(context: string): boolean {
  let lastId = -1
  let lastPhone = -1
  let sawNumberWord = false
  let i = 0
  let previous = ''
  for (const m of context.toLowerCase().matchAll(WORD)) {
    const w = m[0]
    if (isPhoneWord(w) || (w === 'id' && previous === 'caller')) lastPhone = i
    else if (ID_WORDS.has(w) || /.(?:nummer|number|nr)$/.test(w)) lastId = i
    else if (NUMBER_WORDS.has(w)) sawNumberWord = true
    previous = w
    i++
  }
  if (lastId > lastPhone) return false
  if (sawNumberWord && lastPhone < 0) return false
  if (context.includes('#') && lastPhone < 0) return false
  return true
}
