import { describe, expect, it } from 'vitest'
import { corpus, type LabelledSnippet, label } from './phone-detect.corpus.ts'
import { findPhoneNumbers } from './phone-detect.ts'

const labelled = corpus.map(label)
const COUNTRIES = ['DE', 'AU', 'BE', 'BR', 'CA', 'ES', 'US', 'FR', 'GB', 'IE', 'MA', 'MX', 'NL', 'SE', 'CH']
// Bars for the whole corpus, snippets the detector is known to get wrong included. They sit just under
// the measured figures (see `score`), so losing a few snippets fails here even before the per-snippet cases.
const MIN_PRECISION = 0.99
const MIN_RECALL = 0.99

function score(snippets: LabelledSnippet[]) {
  let truePositives = 0
  let falsePositives = 0
  let falseNegatives = 0
  for (const s of snippets) {
    const found = findPhoneNumbers(s.text, s.country)
    const hit = (a: LabelledSnippet['expected'][number]) => (b: LabelledSnippet['expected'][number]) =>
      a.start === b.start && a.end === b.end && a.e164 === b.e164
    for (const f of found) {
      if (s.expected.some(hit(f))) truePositives++
      else falsePositives++
    }
    for (const e of s.expected) if (!found.some(hit(e))) falseNegatives++
  }
  return {
    truePositives,
    falsePositives,
    falseNegatives,
    precision: truePositives / (truePositives + falsePositives),
    recall: truePositives / (truePositives + falseNegatives),
  }
}

describe('findPhoneNumbers: labelled corpus', () => {
  const right = labelled.filter((s) => !s.knownWrong)
  const wrong = labelled.filter((s) => s.knownWrong)

  it.each(right.map((s) => [s.country, s.text, s] as const))('%s %j', (_country, _text, s) => {
    expect(findPhoneNumbers(s.text, s.country)).toEqual(s.expected)
  })

  // A known miss that starts passing should lose its flag, so the reported figures stay true.
  it.each(wrong.map((s) => [s.country, s.text, s] as const))('%s %j is still wrong', (_country, _text, s) => {
    expect(findPhoneNumbers(s.text, s.country)).not.toEqual(s.expected)
  })

  it('holds at least 300 snippets, positives and negatives for each country of the guide', () => {
    expect(labelled.length).toBeGreaterThanOrEqual(300)
    for (const country of COUNTRIES) {
      const own = labelled.filter((s) => s.country === country)
      expect(own.filter((s) => s.expected.length > 0).length, country).toBeGreaterThanOrEqual(8)
      expect(own.filter((s) => s.expected.length === 0).length, country).toBeGreaterThanOrEqual(7)
    }
  })

  it(`scores precision ≥ ${MIN_PRECISION} and recall ≥ ${MIN_RECALL}`, () => {
    const result = score(labelled)
    const positives = labelled.filter((s) => s.expected.length > 0).length
    console.info(
      `phone detection corpus: ${labelled.length} snippets (${positives} with numbers, ` +
        `${labelled.length - positives} without), ${result.truePositives + result.falseNegatives} numbers; ` +
        `precision ${result.precision.toFixed(4)}, recall ${result.recall.toFixed(4)} ` +
        `(${result.falsePositives} false positives, ${result.falseNegatives} misses)`,
    )
    expect(result.precision).toBeGreaterThanOrEqual(MIN_PRECISION)
    expect(result.recall).toBeGreaterThanOrEqual(MIN_RECALL)
  })
})

describe('findPhoneNumbers', () => {
  it('gives UTF-16 offsets, end exclusive, after astral characters and accents', () => {
    const text = 'Zoë 😊 → 06 12 34 56 78.'
    // 'Zoë ' is 4 code units, the emoji 2, ' → ' 3: the number starts at 9 and is 14 long.
    expect(findPhoneNumbers(text, 'FR')).toEqual([{ start: 9, end: 23, e164: '+33612345678' }])
    expect(text.slice(9, 23)).toBe('06 12 34 56 78')
  })

  it('reads national formats with the default country only', () => {
    expect(findPhoneNumbers('Call 020 7946 0958', 'GB')).toEqual([
      { start: 5, end: 18, e164: '+442079460958' },
    ])
    // Eleven digits after the 0: too long for a Dutch number.
    expect(findPhoneNumbers('Call 020 7946 0958', 'NL')).toEqual([])
    expect(findPhoneNumbers('Call 06 12 34 56 78', 'US')).toEqual([])
  })

  it('accepts the country in any case and ignores an unknown one for national formats', () => {
    expect(findPhoneNumbers('Tel 06 12 34 56 78', 'fr')).toEqual([
      { start: 4, end: 18, e164: '+33612345678' },
    ])
    expect(findPhoneNumbers('Tel 06 12 34 56 78 or +44 20 7946 0958', 'ZZ')).toEqual([
      { start: 22, end: 38, e164: '+442079460958' },
    ])
  })

  it('leaves the extension out of the match and never matches extension digits alone', () => {
    expect(findPhoneNumbers('+1 415-555-0123 ext. 4155550', 'US')).toEqual([
      { start: 0, end: 15, e164: '+14155550123' },
    ])
    expect(findPhoneNumbers('poste 6135550199', 'CA')).toEqual([])
  })

  it('finds every number in a long text, in order', () => {
    const line = 'Jane Doe — Acme — jane@acme.test — 06 12 34 56 78 — Order #123456789 — 12/05/2024\n'
    const text = line.repeat(1000)
    const found = findPhoneNumbers(text, 'FR')
    expect(found).toHaveLength(1000)
    expect(found[999]).toEqual({
      start: 999 * line.length + 35,
      end: 999 * line.length + 49,
      e164: '+33612345678',
    })
  })

  it('finds nothing in text without digits', () => {
    expect(findPhoneNumbers('No phone number here, call me maybe.', 'US')).toEqual([])
  })
})
