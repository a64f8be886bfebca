import { describe, expect, it } from 'vitest'
import { postgresErrorCode, uniqueViolation } from './postgres-errors.ts'

describe('uniqueViolation', () => {
  it('names the constraint for both drivers, through drizzle’s wrapper', () => {
    const pglite = { code: '23505', constraint: 'users_email_unique' }
    const postgresJs = { code: '23505', constraint_name: 'users_company_extension_unique' }
    expect(uniqueViolation(Object.assign(new Error('Failed query'), { cause: pglite }))).toBe(
      'users_email_unique',
    )
    expect(uniqueViolation(postgresJs)).toBe('users_company_extension_unique')
    expect(uniqueViolation({ code: '23503', constraint: 'fk' })).toBeUndefined()
    expect(uniqueViolation(new Error('boom'))).toBeUndefined()
  })
})

describe('postgresErrorCode', () => {
  it('finds the SQLSTATE through wrapping errors and ignores Node error codes', () => {
    expect(postgresErrorCode(Object.assign(new Error('Failed query'), { cause: { code: '22021' } }))).toBe(
      '22021',
    )
    expect(postgresErrorCode(Object.assign(new Error('nope'), { code: 'ECONNREFUSED' }))).toBeUndefined()
  })
})
