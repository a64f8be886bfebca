import { and, eq, type SQL, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestHub } from '../../../test/helpers/hub.ts'
import { contactPhoneNumbers, contacts } from '../../db/schema/index.ts'
import { phoneMatch } from './contact-service.ts'

let hub: TestHub
let companyId: number
beforeAll(async () => {
  hub = await createTestHub()
  // A company with a realistic number of phones, so the planner's statistics are not those of
  // an empty table.
  companyId = (await hub.createCompany()).id
  const rows = await hub.db
    .insert(contacts)
    .values(Array.from({ length: 2_000 }, (_, i) => ({ companyId, firstName: `C${i}` })))
    .returning({ id: contacts.id })
  await hub.db.insert(contactPhoneNumbers).values(
    rows.map((r, i) => {
      const value = `+33 1 ${String(70_000_000 + i).replace(/(\d\d)(?=\d)/g, '$1 ')}`
      return {
        companyId,
        contactId: r.id,
        label: 'Work',
        value,
        e164: value.replaceAll(' ', ''),
        digits: value.replaceAll(' ', ''),
      }
    }),
  )
  await hub.db.execute(sql`analyze contact_phone_numbers`)
})
afterAll(() => hub.close())

/** The plan PostgreSQL picks for the phone lookup of a search, sequential scans ruled out where any index can serve. */
async function planOf(companyId: number, match: SQL | undefined): Promise<string> {
  const query = hub.db
    .select({ id: contactPhoneNumbers.contactId })
    .from(contactPhoneNumbers)
    .where(and(eq(contactPhoneNumbers.companyId, companyId), match))
    .toSQL()
  const literal = (v: unknown) => (typeof v === 'number' ? String(v) : `'${String(v).replaceAll("'", "''")}'`)
  const text = query.sql.replace(/\$(\d+)/g, (_, n: string) => literal(query.params[Number(n) - 1]))
  return hub.db.transaction(async (tx) => {
    await tx.execute(sql`set local enable_seqscan = off`)
    const res = (await tx.execute(sql.raw(`explain ${text}`))) as unknown
    const rows = (Array.isArray(res) ? res : (res as { rows: unknown[] }).rows) as Record<string, string>[]
    return rows.map((r) => Object.values(r)[0]).join('\n')
  })
}

describe('contact search by phone', () => {
  it.each([
    ['+33 1 76 11 11 11', 'a number that parses (E.164 or the digits as typed)'],
    ['0176111111', 'a national number (no country: digits only)'],
  ])('looks %s up through an index, not a scan of every phone of the company (%s)', async (phone) => {
    const plan = await planOf(companyId, phoneMatch(phone))
    expect(plan).not.toMatch(/Seq Scan/)
    // Every index lookup is on the number itself, and nothing is left to filter row by row.
    const conditions = plan.split('\n').filter((line) => line.includes('Index Cond'))
    expect(conditions.length).toBeGreaterThan(0)
    for (const line of conditions) expect(line).toMatch(/\b(e164|digits) = /)
    expect(plan).not.toMatch(/Filter:/)
  })

  it('finds a number that does not parse by its digits, however either side is typed', async () => {
    const company = await hub.createCompany()
    const created = await hub.call('POST', '/v1/contacts', {
      auth: company.basic,
      body: { first_name: 'Old', phone_numbers: [{ label: 'Work', value: '(555) 010-9999 ext' }] },
    })
    expect(created.status).toBe(201)
    for (const query of ['5550109999', '555-010-9999']) {
      const res = await hub.call('GET', `/v1/contacts/search?phone_number=${encodeURIComponent(query)}`, {
        auth: company.basic,
      })
      expect(res.status).toBe(200)
      expect(res.body.contacts.map((c: { id: number }) => c.id)).toEqual([created.body.contact.id])
    }
  })
})
