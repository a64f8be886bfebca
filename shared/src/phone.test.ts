import { describe, expect, it } from 'vitest'
import { normalizePhone } from './phone.ts'

describe('normalizePhone', () => {
  it('reads a number dialled in national or international form, with or without a default country', () => {
    expect(normalizePhone('+33 1 76 11 11 11')?.e164).toBe('+33176111111')
    expect(normalizePhone('0033 1 76 11 11 11')?.e164).toBe('+33176111111')
    expect(normalizePhone('01 76 11 11 11', 'FR')).toEqual({
      e164: '+33176111111',
      country: 'FR',
      national: '01 76 11 11 11',
      international: '+33 1 76 11 11 11',
    })
    // A national number means nothing without its country.
    expect(normalizePhone('01 76 11 11 11')).toBeNull()
    expect(normalizePhone('(415) 555-2671', 'US')?.e164).toBe('+14155552671')
    expect(normalizePhone('not a number', 'FR')).toBeNull()
  })

  it('answers the same number the same way every time, each answer a copy of its own', () => {
    const first = normalizePhone('06 12 34 56 78', 'FR')!
    first.e164 = 'changed by its caller'
    expect(normalizePhone('06 12 34 56 78', 'FR')?.e164).toBe('+33612345678')
    // Same text, another country: another reading.
    expect(normalizePhone('06 12 34 56 78', 'BE')).toBeNull()
    // Past the remembered ones, numbers still read right.
    for (let i = 0; i < 2500; i++) normalizePhone(`+1415555${String(i).padStart(4, '0')}`)
    expect(normalizePhone('06 12 34 56 78', 'FR')?.e164).toBe('+33612345678')
    expect(normalizePhone('+14155550042')?.e164).toBe('+14155550042')
  })
})
