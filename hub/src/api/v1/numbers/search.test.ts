import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestHub } from '../../../../test/helpers/hub.ts'
import { createNumber } from './numbers-fixtures.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

const names = (body: { numbers: { name: string }[] }) => body.numbers.map((n) => n.name)

describe('GET /v1/numbers?search=', () => {
  it('filters by name (case and accents aside) and by digits, in any format', async () => {
    const company = await hub.createCompany()
    const sales = await createNumber(hub, company, { name: 'Sales Paris' })
    await createNumber(hub, company, { name: 'Support Lyon' })
    await createNumber(hub, company, { name: 'Échange' })
    const other = await hub.createCompany()
    await createNumber(hub, other, { name: 'Sales elsewhere' })

    const search = async (q: string) => {
      const res = await hub.call('GET', `/v1/numbers?search=${encodeURIComponent(q)}`, {
        auth: company.basic,
      })
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      return res.body
    }
    expect(names(await search('sales'))).toEqual(['Sales Paris'])
    expect((await search('SALES')).meta.total).toBe(1)
    expect(names(await search('echange'))).toEqual(['Échange'])
    expect(names(await search('  lyon '))).toEqual(['Support Lyon'])

    // GB numbers: +44 20 xxxx xxxx. The last digits, the display format, the national format.
    const e164 = sales.e164_digits
    expect(names(await search(e164.slice(-6)))).toEqual(['Sales Paris'])
    expect(names(await search(String(sales.digits)))).toEqual(['Sales Paris'])
    expect(names(await search(`0${e164.slice(3, 5)} ${e164.slice(5)}`))).toEqual(['Sales Paris'])

    const none = await search('nothing like this')
    expect(none.numbers).toEqual([])
    expect(none.meta.total).toBe(0)
    // An empty search is no filter.
    expect((await search('')).meta.total).toBe(3)
  })

  it('filters the grouped list too', async () => {
    const company = await hub.createCompany()
    await createNumber(hub, company, { name: 'Berlin office', country: 'DE', area: '30' })
    await createNumber(hub, company, { name: 'London office' })
    const res = await hub.call('GET', '/v1/numbers?grouped=country&search=berlin', { auth: company.basic })
    expect(res.status).toBe(200)
    expect(res.body.countries).toHaveLength(1)
    expect(res.body.countries[0].numbers.map((n: { name: string }) => n.name)).toEqual(['Berlin office'])
  })

  it('refuses a search longer than 100 characters, naming the field', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('GET', `/v1/numbers?search=${'x'.repeat(101)}`, { auth: company.basic })
    expect(res.status).toBe(400)
    expect(res.body.field).toBe('search')
  })
})
