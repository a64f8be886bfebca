import { describe, expect, it } from 'vitest'
import { phoneMatches, resolveTagMapping } from './mapping.ts'

describe('resolveTagMapping', () => {
  const mapping = { demo: 'Demo', 'first outreach': 'Demo', refund: 'Support' }
  it('one mapped value decides, even through several tags', () => {
    expect(resolveTagMapping(['demo', 'first outreach', 'unmapped'], mapping, 'Default')).toBe('Demo')
  })
  it('conflicting mapped tags and unmapped calls take the default', () => {
    expect(resolveTagMapping(['demo', 'refund'], mapping, 'Default')).toBe('Default')
    expect(resolveTagMapping(['unmapped'], mapping, null)).toBeNull()
  })
})

describe('phoneMatches', () => {
  it('accepts the stored formats of the same number and refuses longer or other numbers', () => {
    for (const stored of ['+1 (415) 555-1212', '(415) 555-1212', '1-415-555-1212', '011 1 415 555 1212'])
      expect(phoneMatches(stored, '+14155551212', '4155551212')).toBe(true)
    expect(phoneMatches('01 76 11 11 11', '+33176111111', '176111111')).toBe(true)
    expect(phoneMatches('+44 1 76 11 11 11', '+33176111111', '176111111')).toBe(false)
    expect(phoneMatches('+1 415 555 12123', '+14155551212', '4155551212')).toBe(false)
    expect(phoneMatches(null, '+14155551212', '4155551212')).toBe(false)
  })
})
