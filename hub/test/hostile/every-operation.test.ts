import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../helpers/hub.ts'
import { createTestNumber } from '../helpers/numbers-factory.ts'

/**
 * Hostile requests over every operation of the OpenAPI document, as one company (A) that knows
 * another company's (B) ids: malformed ids, malformed bodies, B's ids in every path parameter.
 * What a client may observe: never a 5xx, always a JSON error with a message, and never a byte
 * of B's data (B's resources carry a marker that must not appear in any answer to A). B's
 * resources are all still there afterwards.
 */

const MARK = 'Bmark7q'
let hub: TestHub
let a: TestCompany
let b: TestCompany
const bIds: string[] = []
let operations: { method: string; path: string; multipart: boolean; public: boolean }[] = []

beforeAll(async () => {
  hub = await createTestHub({ env: { RATE_LIMIT_PER_MINUTE: '1000000' } })
  a = await hub.createCompany(`A company`)
  b = await hub.createCompany(`${MARK} company`)
  const asB = (method: string, path: string, body?: unknown) =>
    hub.call(method, path, { auth: b.basic, body })
  const made = [
    await asB('POST', '/v1/teams', { name: `${MARK} team` }),
    await asB('POST', '/v1/tags', { name: `${MARK} tag`, color: '#00ff00' }),
    await asB('POST', '/v1/contacts', {
      first_name: MARK,
      last_name: MARK,
      phone_numbers: [{ label: 'work', value: '+33612345678' }],
      emails: [{ label: 'work', value: `${MARK.toLowerCase()}@example.test` }],
    }),
    await asB('POST', '/v1/blacklist', { number: '+33698765432', note: MARK }),
  ]
  for (const res of made) {
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(300)
    const resource = Object.values(res.body as Record<string, { id: number }>)[0]!
    bIds.push(String(resource.id))
  }
  const number = await createTestNumber(hub.db, { companyId: b.id, name: `${MARK} number` })
  bIds.push(String(number.id), String(b.adminUserId), String(b.agentUserId))
  const call = await asB('POST', '/v1/sandbox/calls', { from: '+33612345678', to: number.e164 })
  expect(call.status, JSON.stringify(call.body)).toBe(201)
  const callId = call.body.call.id as number
  expect((await asB('POST', `/v1/calls/${callId}/comments`, { content: MARK })).status).toBe(201)
  bIds.push(String(callId))
  const hook = await asB('POST', '/v1/webhooks', {
    url: `http://127.0.0.1:9/${MARK}`,
    events: ['user.created'],
  })
  expect(hook.status).toBe(201)
  bIds.push(hook.body.webhook.webhook_id)

  const doc = await hub.call('GET', '/v1/openapi.json')
  expect(doc.status).toBe(200)
  for (const [path, item] of Object.entries(doc.body.paths as Record<string, Record<string, unknown>>)) {
    for (const [method, op] of Object.entries(item)) {
      const body = (op as { requestBody?: { content?: Record<string, unknown> } }).requestBody
      const security = (op as { security?: unknown[] }).security
      operations.push({
        method: method.toUpperCase(),
        path,
        multipart: Boolean(body?.content?.['multipart/form-data']),
        public: Array.isArray(security) && security.length === 0,
      })
    }
  }
  operations = operations.filter((o) => o.path.startsWith('/v1/'))
})
afterAll(() => hub?.close())

const HOSTILE_IDS = [
  '0x10',
  '+1',
  '%201',
  '1e3',
  '-1',
  '0',
  '2147483648',
  '99999999999999999999',
  "1'or'1'='1",
  '%00',
  'a'.repeat(300),
]
const HOSTILE_BODIES: (string | undefined)[] = [
  '{}',
  '[]',
  'null',
  '"text"',
  '{"name":',
  '{"name":"\\u0000","first_name":"\\u0000","url":"\\u0000","phone_number":"\\u0000"}',
  '{"id":1e400,"page":-1,"per_page":1e9,"user_id":"1 or 1=1","team_id":[],"number_id":{}}',
  `${'['.repeat(200)}${']'.repeat(200)}`,
  undefined,
]

function fill(path: string, value: string) {
  return path.replace(/\{[^}]+\}/g, value)
}

type Outcome = { method: string; path: string; status: number; body: unknown }

async function send(method: string, path: string, auth: string | undefined, body?: string): Promise<Outcome> {
  const res = await hub.call(method, path, { auth, body })
  return { method, path, status: res.status, body: res.body }
}

function problems(outcomes: Outcome[]) {
  return outcomes
    .filter(
      (o) =>
        o.status >= 500 ||
        JSON.stringify(o.body ?? '').includes(MARK) ||
        (o.status >= 400 && typeof (o.body as { message?: unknown } | null)?.message !== 'string'),
    )
    .map((o) => `${o.method} ${o.path} → ${o.status} ${JSON.stringify(o.body).slice(0, 200)}`)
}

describe('hostile requests on every operation', () => {
  it('covers the whole API document', () => {
    expect(operations.length).toBeGreaterThan(60)
  })

  // Hundreds of requests one after another: past the default 30 s on a busy 2-core machine.
  it("never answers 5xx or another company's data to malformed or foreign ids", async () => {
    const outcomes: Outcome[] = []
    for (const op of operations.filter((o) => o.path.includes('{'))) {
      for (const id of [...HOSTILE_IDS, ...bIds]) {
        const body = ['POST', 'PUT', 'PATCH'].includes(op.method) && !op.multipart ? '{}' : undefined
        outcomes.push(await send(op.method, fill(op.path, id), a.basic, body))
        outcomes.push(await send(op.method, fill(op.path, id), a.adminBearer, body))
      }
    }
    expect(outcomes.length).toBeGreaterThan(500)
    expect(problems(outcomes)).toEqual([])
    // B's ids never name a resource for A.
    const successes = outcomes.filter((o) => o.status < 300 && bIds.some((id) => o.path.includes(`/${id}`)))
    for (const o of successes) expect(JSON.stringify(o.body)).not.toContain(MARK)
  }, 180_000)

  it('never answers 5xx to malformed bodies, signed in or not', async () => {
    const outcomes: Outcome[] = []
    for (const op of operations.filter((o) => ['POST', 'PUT', 'PATCH'].includes(o.method))) {
      const path = fill(op.path, bIds[0]!)
      for (const body of HOSTILE_BODIES) {
        outcomes.push(await send(op.method, path, op.public ? undefined : a.basic, body))
      }
    }
    expect(outcomes.length).toBeGreaterThan(100)
    expect(problems(outcomes)).toEqual([])
  })

  it('leaves every resource of the other company in place', async () => {
    for (const path of [
      '/v1/teams',
      '/v1/tags',
      '/v1/contacts',
      '/v1/blacklist',
      '/v1/numbers',
      '/v1/webhooks',
    ]) {
      const res = await hub.call('GET', path, { auth: b.basic })
      expect(res.status, path).toBe(200)
      expect(JSON.stringify(res.body), path).toContain(MARK)
    }
    const calls = await hub.call('GET', '/v1/calls', { auth: b.basic })
    expect(calls.body.calls).toHaveLength(1)
    expect(calls.body.calls[0]).toMatchObject({ archived: false, comments: [{ content: MARK }] })
    const users = await hub.call('GET', '/v1/users', { auth: b.basic })
    expect(users.body.users.map((u: { id: number }) => u.id).sort()).toEqual(
      [b.adminUserId, b.agentUserId].sort(),
    )
  })
})
