import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { apiTag, sceneCall } from '../../../../test/helpers/call-scenes.ts'
import { addAgent, webhookEventsOf } from '../../../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

const getCall = async (company: TestCompany, id: number) =>
  (await hub.call('GET', `/v1/calls/${id}`, { auth: company.basic })).body.call

const eventsNamed = async (company: TestCompany, callId: number, event: string) =>
  (await webhookEventsOf(hub, company.id, callId)).filter((e) => e.event === event)

describe('POST /v1/calls/:id/tags and DELETE /v1/calls/:id/tags/:tag_id', () => {
  it('tags with call.tagged, untags with call.untagged; a repeat changes and records nothing', async () => {
    const company = await hub.createCompany()
    const call = await sceneCall(hub, company, { hangUpAfterSec: 20 })
    const vip = await apiTag(hub, company, 'VIP')
    const sale = await apiTag(hub, company, 'Sale')
    const tag = (tags: number[]) =>
      hub.call('POST', `/v1/calls/${call.id}/tags`, { auth: company.basic, body: { tags } })

    const res = await tag([vip.id, sale.id])
    expect(res.status).toBe(201)
    expect((await getCall(company, call.id)).tags.map((t: { name: string }) => t.name)).toEqual([
      'VIP',
      'Sale',
    ])
    expect((await tag([vip.id])).status).toBe(201)
    const tagged = await eventsNamed(company, call.id, 'call.tagged')
    expect(tagged).toHaveLength(1)
    expect(tagged[0]!.data.tags.map((t: { id: number }) => t.id)).toEqual([vip.id, sale.id])

    const untag = await hub.call('DELETE', `/v1/calls/${call.id}/tags/${vip.id}`, { auth: company.basic })
    expect(untag.status).toBe(204)
    expect((await getCall(company, call.id)).tags.map((t: { name: string }) => t.name)).toEqual(['Sale'])
    expect(
      (await hub.call('DELETE', `/v1/calls/${call.id}/tags/${vip.id}`, { auth: company.basic })).status,
    ).toBe(204)
    const untagged = await eventsNamed(company, call.id, 'call.untagged')
    expect(untagged).toHaveLength(1)
    expect(untagged[0]!.data).toMatchObject({ id: call.id, tags: [{ id: sale.id, name: 'Sale' }] })
  })

  it("refuses unknown and other companies' tags (404) and malformed bodies (400), tagging nothing", async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const call = await sceneCall(hub, company, { hangUpAfterSec: 5 })
    const ours = await apiTag(hub, company, 'Ours')
    const theirs = await apiTag(hub, other, 'Theirs')
    const post = (body: unknown) =>
      hub.call('POST', `/v1/calls/${call.id}/tags`, { auth: company.basic, body })
    const mixed = await post({ tags: [ours.id, theirs.id] })
    expect(mixed.status).toBe(404)
    expect(mixed.body.message).toBe('Tag not found')
    for (const body of [{}, { tags: [] }, { tags: ['1'] }, { tags: [0] }, { tags: 5 }, '[]']) {
      expect((await post(body)).status, JSON.stringify(body)).toBe(400)
    }
    expect((await getCall(company, call.id)).tags).toEqual([])
    expect(
      (await hub.call('DELETE', `/v1/calls/${call.id}/tags/${theirs.id}`, { auth: company.basic })).status,
    ).toBe(404)
  })

  securityCases(() => hub, {
    method: 'POST',
    path: async (c) => `/v1/calls/${(await sceneCall(hub, c, { hangUpAfterSec: 5 })).id}/tags`,
    body: { tags: [1] },
    ownedResource: true,
  })
  securityCases(() => hub, {
    method: 'DELETE',
    path: async (c) => {
      const call = await sceneCall(hub, c, { hangUpAfterSec: 5 })
      return `/v1/calls/${call.id}/tags/${(await apiTag(hub, c, 'T')).id}`
    },
    ownedResource: true,
  })
})

describe('POST /v1/calls/:id/comments', () => {
  it("adds up to 5 comments (call.commented), posted_by null for an API key, the agent's own for theirs", async () => {
    const company = await hub.createCompany()
    const call = await sceneCall(hub, company, { agent: { id: company.agentUserId }, hangUpAfterSec: 20 })
    const comment = (auth: string, content: unknown) =>
      hub.call('POST', `/v1/calls/${call.id}/comments`, { auth, body: { content } })
    expect((await comment(company.basic, '  Wants a quote  ')).status).toBe(201)
    expect((await comment(company.agentBearer, 'Called back')).status).toBe(201)
    for (const bad of ['', '   ', 42, 'a'.repeat(5001), 'nul\u0000']) {
      expect((await comment(company.basic, bad)).status, JSON.stringify(bad)).toBe(400)
    }
    for (let i = 3; i <= 5; i++) expect((await comment(company.basic, `note ${i}`)).status).toBe(201)
    const sixth = await comment(company.basic, 'one too many')
    expect(sixth.status).toBe(422)
    expect(sixth.body.message).toContain('at most 5 comments')

    const comments = (await getCall(company, call.id)).comments
    expect(comments.map((c: { content: string }) => c.content)).toEqual([
      'Wants a quote',
      'Called back',
      'note 3',
      'note 4',
      'note 5',
    ])
    expect(comments[0].posted_by).toBeNull()
    // The author as a Call nests a user: id, link, name, email.
    const author = (await hub.call('GET', `/v1/users/${company.agentUserId}`, { auth: company.basic })).body
      .user
    expect(comments[1].posted_by).toEqual({
      id: author.id,
      direct_link: author.direct_link,
      name: author.name,
      email: author.email,
    })
    const commented = await eventsNamed(company, call.id, 'call.commented')
    expect(commented).toHaveLength(5)
    expect(commented.at(-1)!.data.comments[1].posted_by).toEqual(comments[1].posted_by)
  })

  securityCases(() => hub, {
    method: 'POST',
    path: async (c) => `/v1/calls/${(await sceneCall(hub, c, { hangUpAfterSec: 5 })).id}/comments`,
    body: { content: 'hello' },
    ownedResource: true,
  })
})

describe('PUT /v1/calls/:id/archive and /unarchive', () => {
  it('flips archived and answers the call; call.archived once on archive, none on unarchive', async () => {
    const company = await hub.createCompany()
    const call = await sceneCall(hub, company, { hangUpAfterSec: 5 })
    const archive = await hub.call('PUT', `/v1/calls/${call.id}/archive`, { auth: company.basic })
    expect(archive.status).toBe(200)
    expect(archive.body.call).toMatchObject({ id: call.id, archived: true, status: 'done' })
    expect(
      (await hub.call('PUT', `/v1/calls/${call.id}/archive`, { auth: company.basic })).body.call.archived,
    ).toBe(true)
    const archived = await eventsNamed(company, call.id, 'call.archived')
    expect(archived).toHaveLength(1)
    expect(archived[0]!.data).toMatchObject({ id: call.id, archived: true })

    const unarchive = await hub.call('PUT', `/v1/calls/${call.id}/unarchive`, { auth: company.basic })
    expect(unarchive.status).toBe(200)
    expect(unarchive.body.call.archived).toBe(false)
    expect((await getCall(company, call.id)).archived).toBe(false)
    expect(await eventsNamed(company, call.id, 'call.archived')).toHaveLength(1)
  })

  for (const action of ['archive', 'unarchive']) {
    describe(action, () => {
      securityCases(() => hub, {
        method: 'PUT',
        path: async (c) => `/v1/calls/${(await sceneCall(hub, c, { hangUpAfterSec: 5 })).id}/${action}`,
        ownedResource: true,
      })
    })
  }
})

describe('POST /v1/calls/:id/assign', () => {
  it('assigns the call to a user of the company (call.assigned); refuses other companies’ users', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const call = await sceneCall(hub, company, { hangUpAfterSec: 5 })
    const colleague = await addAgent(hub, company, { firstName: 'Katherine', lastName: 'Johnson' })
    const assign = (body: unknown) =>
      hub.call('POST', `/v1/calls/${call.id}/assign`, { auth: company.basic, body })

    const res = await assign({ user_id: colleague.id })
    expect(res.status).toBe(200)
    expect(res.body.call.assigned_to).toMatchObject({ id: colleague.id, name: 'Katherine Johnson' })
    expect((await assign({ user_id: colleague.id })).status).toBe(200)
    const assigned = await eventsNamed(company, call.id, 'call.assigned')
    expect(assigned).toHaveLength(1)
    expect(assigned[0]!.data.assigned_to).toMatchObject({ id: colleague.id, email: colleague.email })

    const foreign = await assign({ user_id: other.agentUserId })
    expect(foreign.status).toBe(404)
    expect(JSON.stringify(foreign.body)).not.toContain(String(other.apiId))
    for (const body of [{}, { user_id: '1' }, { user_id: -1 }, { user_id: 1.5 }]) {
      expect((await assign(body)).status, JSON.stringify(body)).toBe(400)
    }
    expect((await getCall(company, call.id)).assigned_to.id).toBe(colleague.id)
  })

  securityCases(() => hub, {
    method: 'POST',
    path: async (c) => `/v1/calls/${(await sceneCall(hub, c, { hangUpAfterSec: 5 })).id}/assign`,
    body: { user_id: 1 },
    ownedResource: true,
  })
})

describe("an agent's token acts on its own calls only", () => {
  it('may tag, comment, archive and assign the call it took or was assigned; 403 on the others, 404 on another company’s', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const tag = await apiTag(hub, company, 'Agent tag')
    const mine = await sceneCall(hub, company, { agent: { id: company.agentUserId }, hangUpAfterSec: 5 })
    const colleagues = await sceneCall(hub, company, { hangUpAfterSec: 5 })
    const foreign = await sceneCall(hub, other, { agent: { id: other.agentUserId }, hangUpAfterSec: 5 })
    const act = (id: number) => [
      () => hub.call('POST', `/v1/calls/${id}/tags`, { auth: company.agentBearer, body: { tags: [tag.id] } }),
      () =>
        hub.call('POST', `/v1/calls/${id}/comments`, {
          auth: company.agentBearer,
          body: { content: 'mine' },
        }),
      () => hub.call('PUT', `/v1/calls/${id}/archive`, { auth: company.agentBearer }),
      () =>
        hub.call('POST', `/v1/calls/${id}/assign`, {
          auth: company.agentBearer,
          body: { user_id: company.agentUserId },
        }),
      () => hub.call('DELETE', `/v1/calls/${id}/tags/${tag.id}`, { auth: company.agentBearer }),
    ]
    const statuses = async (id: number) => {
      const out: number[] = []
      for (const request of act(id)) out.push((await request()).status)
      return out
    }
    expect(await statuses(colleagues.id)).toEqual([403, 403, 403, 403, 403])
    const untouched = await getCall(company, colleagues.id)
    expect(untouched).toMatchObject({ tags: [], comments: [], archived: false, assigned_to: null })
    expect(await statuses(foreign.id)).toEqual([404, 404, 404, 404, 404])
    expect(await statuses(mine.id)).toEqual([201, 201, 200, 200, 204])

    // Assigned by an admin, the colleague's call becomes the agent's to work on.
    const byAdmin = await hub.call('POST', `/v1/calls/${colleagues.id}/assign`, {
      auth: company.adminBearer,
      body: { user_id: company.agentUserId },
    })
    expect(byAdmin.status).toBe(200)
    expect(await statuses(colleagues.id)).toEqual([201, 201, 200, 200, 204])
    expect((await getCall(company, colleagues.id)).comments[0].posted_by.id).toBe(company.agentUserId)
  })
})
