import { describe, expect, it } from 'vitest'
import { basicAuth, runSb } from '../e2e/processes.ts'
import { connectAgent } from '../helpers/realtime-client.ts'
import { json, processDeployment } from './process-deployment.ts'

// A call across a deployment of separate processes: two HUB_ROLE=web hubs and one
// HUB_ROLE=worker hub on one PostgreSQL and one Redis. The agent's client is connected to the
// first web hub; the call is placed through the second; the step's ring time runs out on a
// durable timer that only the worker fires. Scale run only (the services of
// test/setup/scale-services.ts).

const { env, dataDir, hubOfRole } = processDeployment({ prefix: 'sb_calls', redisDb: 8 })

describe('a call across web, web and worker processes (PostgreSQL + Redis)', { timeout: 180_000 }, () => {
  it('rings the agent connected to one web hub for a call placed through the other; the worker moves the call on', async () => {
    const migrate = await runSb(dataDir(), ['migrate'], { env })
    expect(migrate.code, migrate.stderr).toBe(0)
    const password = 'a long password'
    const setup = await runSb(
      dataDir(),
      ['setup', '--company', 'Calls Co', '--email', 'agent@calls.test', '--password', password, '--json'],
      { env },
    )
    expect(setup.code, setup.stderr).toBe(0)
    const keys = JSON.parse(setup.stdout) as { api_id: string; api_token: string; user_id: number }
    const auth = basicAuth(keys.api_id, keys.api_token)

    const [webA, webB, worker] = await Promise.all([hubOfRole('web'), hubOfRole('web'), hubOfRole('worker')])

    // The company's first user (an admin, who takes calls too) signs in on web hub A.
    const login = await json(webA, 'POST', '/v1/auth/login', undefined, {
      email: 'agent@calls.test',
      password,
    })
    expect(login.status, JSON.stringify(login.body)).toBe(200)
    const { socket, hello } = await connectAgent(webA.url, login.body.token)
    expect(hello.presence).toMatchObject({ online: true, routable: true })

    // A live number (GB needs no documents): the agent for 15 s, then voicemail.
    const number = await json(webB, 'POST', '/v1/numbers', auth, {
      type: 'classic',
      country: 'GB',
      area: '20',
      name: 'Front desk',
    })
    expect(number.status, JSON.stringify(number.body)).toBe(201)
    const settings = await json(webB, 'PATCH', `/v1/numbers/${number.body.number.id}/settings`, auth, {
      messages: { welcome: null },
      distribution: { steps: [{ type: 'user', user_id: keys.user_id, ring_time_sec: 10 }] },
    })
    expect(settings.status, JSON.stringify(settings.body)).toBe(200)

    // Placed through web hub B: the agent's client on A rings.
    const placed = await json(webB, 'POST', '/v1/sandbox/calls', auth, {
      from: '+33612345678',
      to: number.body.number.e164_digits,
    })
    expect(placed.status, JSON.stringify(placed.body)).toBe(201)
    const callId = placed.body.call.id as number
    const ringing = await socket.next('call.ringing', 15_000)
    expect(ringing.call).toMatchObject({ call_id: callId, external_number: '+33612345678' })

    // Nobody answers: the ring time's timer fires on the worker (the web hubs run no jobs),
    // the agent stops ringing and the caller hears the unavailable message.
    const stopped = await socket.next('call.ring_stopped', 30_000)
    expect(stopped).toMatchObject({ call_id: callId, reason: 'timeout' })
    const call = await json(webA, 'GET', `/v1/calls/${callId}`, auth)
    expect(call.body.call).toMatchObject({ id: callId, status: 'initial', answered_at: null })
    // The caller gives up during the unavailable message.
    const hangup = await json(webB, 'POST', `/v1/sandbox/calls/${callId}/hangup`, auth)
    expect(hangup.status, JSON.stringify(hangup.body)).toBe(204)
    // Polled gently: the company's API rate limit (120 requests a minute) applies to tests too.
    let done: { status: number; body: { call?: Record<string, unknown> } } | undefined
    for (let i = 0; i < 60; i++) {
      done = await json(webA, 'GET', `/v1/calls/${callId}`, auth)
      if (done.body.call?.status === 'done') break
      await new Promise((r) => setTimeout(r, 500))
    }
    expect(done?.body.call).toMatchObject({ status: 'done', missed_call_reason: 'agents_did_not_answer' })
    await socket.close()
    for (const hub of [webA, webB, worker])
      expect(await hub.stop('SIGTERM')).toEqual({ code: 0, signal: null })
  })
})
