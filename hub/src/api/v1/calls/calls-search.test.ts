import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiTag, sceneCall } from '../../../../test/helpers/call-scenes.ts'
import { addAgent } from '../../../../test/helpers/calls.ts'
import { createTestHub, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

const ids = (body: { calls: { id: number }[] }) => body.calls.map((c) => c.id)

describe('GET /v1/calls/search', () => {
  it('filters by direction, agent, phone number in any format and tags (all of them), with paging', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const alice = await addAgent(hub, company, { firstName: 'Alice' })
    const bob = await addAgent(hub, company, { firstName: 'Bob' })
    const vip = await apiTag(hub, company, 'VIP')
    const sale = await apiTag(hub, company, 'Sale')
    const first = await sceneCall(hub, company, {
      agent: alice,
      from: '+33 6 12 34 56 78',
      hangUpAfterSec: 10,
    })
    hub.clock.advance(60_000)
    const second = await sceneCall(hub, company, { agent: bob, from: '+44 20 7946 0000', hangUpAfterSec: 10 })
    hub.clock.advance(60_000)
    const third = await sceneCall(hub, company, { agent: alice, from: '+33612345678', hangUpAfterSec: 10 })
    await sceneCall(hub, other, { from: '+33612345678', hangUpAfterSec: 10 })
    for (const [call, tagIds] of [
      [first, [vip.id, sale.id]],
      [second, [vip.id]],
      [third, [sale.id]],
    ] as const) {
      const res = await hub.call('POST', `/v1/calls/${call.id}/tags`, {
        auth: company.basic,
        body: { tags: tagIds },
      })
      expect(res.status).toBe(201)
    }
    const search = (query: string) => hub.call('GET', `/v1/calls/search?${query}`, { auth: company.basic })

    const all = await search('')
    expect(all.status).toBe(200)
    expect(ids(all.body)).toEqual([first.id, second.id, third.id])
    expect(all.body.meta).toMatchObject({ total: 3, count: 3, current_page: 1 })

    expect(ids((await search(`user_id=${alice.id}`)).body)).toEqual([first.id, third.id])
    expect(ids((await search(`user_id=${alice.id}&order=desc`)).body)).toEqual([third.id, first.id])
    expect(ids((await search('direction=inbound')).body)).toHaveLength(3)
    expect(ids((await search('direction=outbound')).body)).toEqual([])
    // The caller's number, however it is written.
    for (const phone of ['%2B33612345678', '%2B33%206%2012%2034%2056%2078', '0033612345678']) {
      expect(ids((await search(`phone_number=${phone}`)).body), phone).toEqual([first.id, third.id])
    }
    expect(ids((await search('phone_number=%2B442079460000')).body)).toEqual([second.id])
    // Aircall's tags[] (AND), and the plain forms.
    expect(ids((await search(`tags[]=${vip.id}`)).body)).toEqual([first.id, second.id])
    expect(ids((await search(`tags[]=${vip.id}&tags[]=${sale.id}`)).body)).toEqual([first.id])
    expect(ids((await search(`tags%5B%5D=${sale.id}`)).body)).toEqual([first.id, third.id])
    expect(ids((await search(`tags=${vip.id},${sale.id}`)).body)).toEqual([first.id])
    expect(
      ids((await search(`tags[]=${sale.id}&user_id=${alice.id}&phone_number=%2B33612345678`)).body),
    ).toEqual([first.id, third.id])
    // from/to and paging as the list does.
    const from = all.body.calls[1].started_at
    expect(ids((await search(`from=${from}&tags[]=${vip.id}`)).body)).toEqual([second.id])
    const paged = await search(`user_id=${alice.id}&per_page=1&page=2`)
    expect(ids(paged.body)).toEqual([third.id])
    expect(paged.body.meta).toMatchObject({
      count: 1,
      total: 2,
      current_page: 2,
      per_page: 1,
      next_page_link: null,
    })
    expect(paged.body.meta.previous_page_link).toContain('/v1/calls/search?')
  })

  it("never finds another company's calls, even by its tags and agents", async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const theirs = await sceneCall(hub, other, { agent: { id: other.agentUserId }, hangUpAfterSec: 5 })
    const theirTag = await apiTag(hub, other, 'Theirs')
    await hub.call('POST', `/v1/calls/${theirs.id}/tags`, {
      auth: other.basic,
      body: { tags: [theirTag.id] },
    })
    for (const q of [
      `tags[]=${theirTag.id}`,
      `user_id=${other.agentUserId}`,
      'phone_number=%2B33612345678',
    ]) {
      const res = await hub.call('GET', `/v1/calls/search?${q}`, { auth: company.basic })
      expect(res.status).toBe(200)
      expect(res.body.calls).toEqual([])
    }
  })

  it('answers 400 naming the parameter for malformed filters', async () => {
    const company = await hub.createCompany()
    for (const [query, field] of [
      ['direction=sideways', 'direction'],
      ['user_id=abc', 'user_id'],
      ['user_id=1e3', 'user_id'],
      ['tags[]=x', 'tags[]'],
      ['tags=1,-2', 'tags'],
      ['phone_number=abc', 'phone_number'],
      ['per_page=51', 'per_page'],
      ['fetch_contact=yes', 'fetch_contact'],
    ]) {
      const res = await hub.call('GET', `/v1/calls/search?${query}`, { auth: company.basic })
      expect(res.status, query).toBe(400)
      expect(res.body.field, query).toBe(field)
    }
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/calls/search', adminOnly: true })
})

describe('fetch_contact and fetch_call_timeline', () => {
  it("fills contact with the company's contact whose phone is the caller's, only when asked", async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    // Another company's contact with the same number is never the call's contact.
    await hub.call('POST', '/v1/contacts', {
      auth: other.basic,
      body: {
        first_name: 'Not',
        last_name: 'Ours',
        phone_numbers: [{ label: 'work', value: '+33612345678' }],
      },
    })
    const contact = await hub.call('POST', '/v1/contacts', {
      auth: company.basic,
      body: {
        first_name: 'Marie',
        last_name: 'Curie',
        phone_numbers: [{ label: 'mobile', value: '+33 6 12 34 56 78' }],
      },
    })
    expect(contact.status).toBe(201)
    const known = await sceneCall(hub, company, { from: '+33612345678', hangUpAfterSec: 5 })
    const unknown = await sceneCall(hub, company, { from: '+33699999999', hangUpAfterSec: 5 })

    const plain = await hub.call('GET', `/v1/calls/${known.id}`, { auth: company.basic })
    expect(plain.body.call.contact).toBeNull()
    const withContact = await hub.call('GET', `/v1/calls/${known.id}?fetch_contact=true`, {
      auth: company.basic,
    })
    expect(withContact.status).toBe(200)
    expect(withContact.body.call.contact).toEqual(contact.body.contact)
    const none = await hub.call('GET', `/v1/calls/${unknown.id}?fetch_contact=true`, { auth: company.basic })
    expect(none.body.call.contact).toBeNull()

    const list = await hub.call('GET', '/v1/calls?fetch_contact=true', { auth: company.basic })
    expect(list.body.calls.map((c: { contact: { id: number } | null }) => c.contact?.id ?? null)).toEqual([
      contact.body.contact.id,
      null,
    ])
    const search = await hub.call('GET', '/v1/calls/search?fetch_contact=true&phone_number=%2B33612345678', {
      auth: company.basic,
    })
    expect(search.body.calls).toHaveLength(1)
    expect(search.body.calls[0].contact.first_name).toBe('Marie')
  })

  it('adds the timeline: the call from its start to its tags, in order, with who did what', async () => {
    const company = await hub.createCompany()
    const tag = await apiTag(hub, company, 'Lead')
    const call = await sceneCall(hub, company, { hangUpAfterSec: 30 })
    await hub.call('POST', `/v1/calls/${call.id}/tags`, { auth: company.basic, body: { tags: [tag.id] } })
    // Tagged again: nothing happens, nothing is added to the timeline.
    await hub.call('POST', `/v1/calls/${call.id}/tags`, { auth: company.basic, body: { tags: [tag.id] } })
    await hub.call('POST', `/v1/calls/${call.id}/comments`, {
      auth: company.basic,
      body: { content: 'Call back' },
    })

    const plain = await hub.call('GET', `/v1/calls/${call.id}`, { auth: company.basic })
    expect(plain.body.call.timeline).toBeUndefined()
    const res = await hub.call('GET', `/v1/calls/${call.id}?fetch_call_timeline=true`, {
      auth: company.basic,
    })
    expect(res.status).toBe(200)
    const timeline = res.body.call.timeline as {
      seq: number
      type: string
      created_at: number
      user_id: number
    }[]
    const started = res.body.call.started_at
    expect(timeline.map((e) => e.type)).toEqual([
      'start',
      'leg_answered',
      'agent_hungup',
      'tagged',
      'commented',
    ])
    expect(timeline.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5])
    expect(timeline[1]).toEqual({
      seq: 2,
      type: 'leg_answered',
      created_at: started + 4,
      user_id: call.agent.id,
    })
    expect(timeline[2]!.created_at).toBe(started + 34)
    expect(timeline[3]).toMatchObject({ type: 'tagged', tag_ids: [tag.id], user_id: null })
    const list = await hub.call('GET', '/v1/calls?fetch_call_timeline=true', { auth: company.basic })
    expect(list.body.calls[0].timeline).toEqual(timeline)
  })
})
