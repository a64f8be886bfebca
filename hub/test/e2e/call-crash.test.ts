import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { basicAuth, type HubProcess, killStartedProcesses, runSb, startHub } from './processes.ts'

// A live call survives the hub: killed with kill -9 while a call rings, the restarted hub
// carries on from where the call was (its timers are durable jobs, re-armed at start), and
// the agent who was ringing is not left ringing.

const dirs: string[] = []
afterEach(async () => {
  await killStartedProcesses()
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

async function api(h: HubProcess, auth: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${h.url}${path}`, {
    method,
    headers: { authorization: auth, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  })
  const text = await res.text()
  // biome-ignore lint/suspicious/noExplicitAny: the test reads API answers as JSON
  return { status: res.status, body: (text ? JSON.parse(text) : null) as any }
}

test('kill -9 while a call rings: after the restart the next step rings and the call completes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-e2e-call-'))
  dirs.push(dir)
  const env = { RATE_LIMIT_PER_MINUTE: '100000' }
  const first = startHub(dir, 0, { direct: true, env })
  await first.waitHealthy()
  const setup = await runSb(dir, [
    'setup',
    '--company',
    'Ring Co',
    '--email',
    'admin@ring.test',
    '--password',
    'a long password',
    '--json',
  ])
  expect({ code: setup.code, stderr: setup.stderr }).toEqual({ code: 0, stderr: '' })
  const { api_id, api_token } = JSON.parse(setup.stdout) as { api_id: string; api_token: string }
  const auth = basicAuth(api_id, api_token)

  const agent = async (name: string) => {
    const res = await api(first, auth, 'POST', '/v1/users', { email: `${name}@ring.test`, first_name: name })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    return res.body.user.id as number
  }
  const slow = await agent('slow')
  const quick = await agent('quick')
  // Simulated devices: the first never answers in time, the second answers after 1 s, talks 2 s.
  for (const [id, answer] of [
    [slow, 3600],
    [quick, 1],
  ] as const) {
    const res = await api(first, auth, 'PUT', `/v1/sandbox/agents/${id}`, {
      answer_after_sec: answer,
      talk_sec: 2,
    })
    expect(res.status).toBe(200)
  }
  const created = await api(first, auth, 'POST', '/v1/numbers', {
    type: 'classic',
    country: 'GB',
    area: '20',
    name: 'Main',
  })
  expect(created.status, JSON.stringify(created.body)).toBe(201)
  const number = created.body.number as { id: number; e164_digits?: string; digits: string }
  const settings = await api(first, auth, 'PATCH', `/v1/numbers/${number.id}/settings`, {
    distribution: {
      steps: [
        { type: 'user', user_id: slow, ring_time_sec: 10 },
        { type: 'user', user_id: quick, ring_time_sec: 20 },
      ],
      respect_queue_time: false,
      max_queue_time_sec: 300,
    },
  })
  expect(settings.status, JSON.stringify(settings.body)).toBe(200)

  const placed = await api(first, auth, 'POST', '/v1/sandbox/calls', {
    from: '+33612345678',
    to: number.digits,
  })
  expect(placed.status, JSON.stringify(placed.body)).toBe(201)
  const callId = placed.body.call.id as number
  expect(placed.body.call.status).toBe('initial')

  expect((await first.stop('SIGKILL')).signal).toBe('SIGKILL')
  const second = startHub(dir, 0, { direct: true, env })
  await second.waitHealthy()

  // Step 1 rings 10 s, then step 2's device answers after 1 s and hangs up after 2 s.
  const deadline = Date.now() + 60_000
  let call = (await api(second, auth, 'GET', `/v1/calls/${callId}`)).body.call
  while (call.status !== 'done' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250))
    call = (await api(second, auth, 'GET', `/v1/calls/${callId}`)).body.call
  }
  expect(call).toMatchObject({ status: 'done', user: { id: quick }, missed_call_reason: null })
  expect(call.answered_at - call.started_at).toBeGreaterThanOrEqual(10)
  expect(call.ended_at - call.answered_at).toBeGreaterThanOrEqual(2)

  // The agent who rang before the crash rings no more: a call to them alone rings them again.
  const only = await api(second, auth, 'PATCH', `/v1/numbers/${number.id}/settings`, {
    distribution: {
      steps: [{ type: 'user', user_id: slow, ring_time_sec: 10 }],
      respect_queue_time: false,
      max_queue_time_sec: 300,
    },
  })
  expect(only.status).toBe(200)
  const again = await api(second, auth, 'POST', '/v1/sandbox/calls', {
    from: '+33612345679',
    to: number.digits,
  })
  expect(again.status).toBe(201)
  const answer = await api(
    second,
    auth,
    'POST',
    `/v1/sandbox/calls/${again.body.call.id}/agents/${slow}/answer`,
  )
  expect(answer.status).toBe(204)
  const answered = await api(second, auth, 'GET', `/v1/calls/${again.body.call.id}`)
  expect(answered.body.call).toMatchObject({ status: 'answered', user: { id: slow } })
}, 180_000)
