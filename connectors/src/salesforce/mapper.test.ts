import { describe, expect, it } from 'vitest'
import { escapeSosl, soqlString, whoWhat } from './mapper.ts'

describe('Salesforce query text', () => {
  it('escapes SOSL operators and SOQL quotes', () => {
    expect(escapeSosl('+1 (415) 555-1212')).toBe('\\+1 \\(415\\) 555\\-1212')
    expect(soqlString("o'brien\\x")).toBe("'o\\'brien\\\\x'")
  })

  it('never relates a lead task to an account', () => {
    expect(whoWhat({ id: '00Q1', type: 'lead', accountId: '0011' })).toEqual({ WhoId: '00Q1' })
    expect(whoWhat({ id: '0031', type: 'contact', accountId: '0011' })).toEqual({
      WhoId: '0031',
      WhatId: '0011',
    })
    expect(whoWhat({ id: '0011', type: 'account' })).toEqual({ WhatId: '0011' })
  })
})
