import { eq, sql } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sceneCall } from '../../../../test/helpers/call-scenes.ts'
import {
  addAgent,
  callableNumber,
  callRow,
  recordCarrierCommands,
  until,
} from '../../../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { connectAgent, tokenOf } from '../../../../test/helpers/realtime-client.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { urlSigningSecret } from '../../../blobs/url-signing-secret.ts'
import { calls } from '../../../db/schema/index.ts'
import { estimateMp3DurationMs } from '../../../services/numbers/mp3.ts'
import { signedAssetUrl, storeCallAsset } from '../../../telephony/audio/call-assets.ts'
import type { CallCommand } from '../../../telephony/carrier/call-control.ts'
import { createCallActions } from '../../../telephony/engine/call-actions.ts'
import { finalizeCall } from '../../../telephony/engine/call-finalize.ts'

let hub: TestHub
let base: string
/** Commands the engine gave the carrier, per call. */
let carrierCommands: Map<number, CallCommand[]>
beforeAll(async () => {
  hub = await createTestHub()
  base = await hub.listen()
  carrierCommands = recordCarrierCommands(hub)
})
afterAll(() => hub.close())

const card = {
  contents: [
    { type: 'title', text: 'Ticket 2272', link: 'https://crm.example.test/tickets/2272' },
    { type: 'shortText', label: 'Plan', text: 'Enterprise' },
  ],
}

describe('POST /v1/calls/:id/insight_cards', () => {
  it('shows the card on the apps of the agent the call rings on, then of the one on it; nobody else', async () => {
    const company = await hub.createCompany()
    const colleague = await addAgent(hub, company)
    const { socket } = await connectAgent(base, tokenOf(company.agentBearer))
    const call = await sceneCall(hub, company, { agent: { id: company.agentUserId }, answer: false })
    await socket.next('call.ringing')

    const ringing = await hub.call('POST', `/v1/calls/${call.id}/insight_cards`, {
      auth: company.basic,
      body: card,
    })
    expect(ringing.status).toBe(201)
    expect(await socket.next('call.insight_card')).toEqual({
      type: 'call.insight_card',
      call_id: call.id,
      ...card,
    })

    await createCallActions(hub.deps).agentAction(company.id, company.agentUserId, {
      type: 'answer',
      call_id: call.id,
    })
    const second = { contents: [{ type: 'shortText', label: 'Open tickets', text: '3' }] }
    const answered = await hub.call('POST', `/v1/calls/${call.id}/insight_cards`, {
      auth: company.agentBearer,
      body: second,
    })
    expect(answered.status).toBe(201)
    expect(await socket.next('call.insight_card')).toEqual({
      type: 'call.insight_card',
      call_id: call.id,
      ...second,
    })
    expect(hub.agentChannel.framesOf(colleague.id).filter((m) => m.type === 'call.insight_card')).toEqual([])
    await socket.close()
  })

  it('keeps the cards with the call: the agent it rings next and an app that connects later get them', async () => {
    const company = await hub.createCompany()
    const first = await addAgent(hub, company)
    const next = { id: company.agentUserId }
    hub.setOnline(company.id, first.id)
    hub.setOnline(company.id, next.id)
    const number = await callableNumber(hub, company, (s) => ({
      distribution: {
        ...s.distribution,
        steps: [
          { type: 'user', user_id: first.id, ring_time_sec: 20 },
          { type: 'user', user_id: next.id, ring_time_sec: 20 },
        ],
      },
    }))
    const placed = await hub.call('POST', '/v1/sandbox/calls', {
      auth: company.basic,
      body: { from: '+33612345678', to: number.e164 },
    })
    const id = placed.body.call.id as number
    expect(
      (await hub.call('POST', `/v1/calls/${id}/insight_cards`, { auth: company.basic, body: card })).status,
    ).toBe(201)
    expect(hub.agentChannel.framesOf(next.id, id)).toEqual([])

    // The first agent declines: the call rings the next one, who gets the card with the ring.
    await createCallActions(hub.deps).agentAction(company.id, first.id, { type: 'decline', call_id: id })
    expect(hub.agentChannel.framesOf(next.id, id)).toEqual([
      expect.objectContaining({ type: 'call.ringing' }),
      { type: 'call.insight_card', call_id: id, ...card },
    ])

    // An app of theirs that connects now gets the ringing call in `hello`, then its cards.
    const { socket, hello } = await connectAgent(base, tokenOf(company.agentBearer))
    expect(hello.call).toMatchObject({ call_id: id, status: 'ringing' })
    expect(await socket.next('call.insight_card')).toEqual({
      type: 'call.insight_card',
      call_id: id,
      ...card,
    })
    await socket.close()
  })

  it('refuses an ended call (400), malformed cards (400), others’ calls; keeps one for a call ringing nobody yet', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const post = (id: number, body: unknown, auth = company.basic) =>
      hub.call('POST', `/v1/calls/${id}/insight_cards`, { auth, body })
    const ended = await sceneCall(hub, company, { hangUpAfterSec: 5 })
    expect((await post(ended.id, card)).status).toBe(400)

    // Its only agent is offline: the call waits with nobody ringing.
    const offline = await addAgent(hub, company)
    const number = await callableNumber(hub, company, (s) => ({
      distribution: { ...s.distribution, steps: [{ type: 'user', user_id: offline.id, ring_time_sec: 20 }] },
    }))
    const waiting = await hub.call('POST', '/v1/sandbox/calls', {
      auth: company.basic,
      body: { from: '+33612345678', to: number.e164 },
    })
    // Kept for the agent it reaches (Aircall's flow posts the card on call.created).
    const kept = await post(waiting.body.call.id, card)
    expect(kept.status).toBe(201)
    expect((await callRow(hub, waiting.body.call.id)).insightCards).toEqual([card.contents])
    expect(hub.agentChannel.framesOf(offline.id).filter((m) => m.type === 'call.insight_card')).toEqual([])

    // A card posted while the engine holds the call's row to start ringing an agent (emulated:
    // the row locked and its ringing set in one transaction) reaches that agent once it commits.
    // A race of two connections: the scale run's PostgreSQL has it; PGlite serialises the two.
    const second = { contents: [{ type: 'shortText', label: 'Plan', text: 'Gold' }] }
    const waitingId = waiting.body.call.id as number
    let locked!: () => void
    let release!: () => void
    const rowLocked = new Promise<void>((r) => {
      locked = r
    })
    const released = new Promise<void>((r) => {
      release = r
    })
    const engine = hub.deps.db.transaction(async (tx) => {
      await tx.select({ id: calls.id }).from(calls).where(eq(calls.id, waitingId)).for('update')
      await tx
        .update(calls)
        .set({ ringing: [offline.id] })
        .where(eq(calls.id, waitingId))
      locked()
      await released
    })
    await rowLocked
    // Posted outside the transaction's context, as a request of its own.
    const posting = post(waitingId, second)
    if (process.env.SB_TEST_DATABASE_URL) {
      // The card's update waits for the row.
      await until(async () => {
        // postgres-js's rows (the scale run's driver).
        const rows = (await hub.deps.db.execute(
          sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
        )) as unknown as { n: number }[]
        return rows[0]!.n > 0
      }, "the card's update to wait for the call's row")
    }
    release()
    await engine
    expect((await posting).status).toBe(201)
    expect(hub.agentChannel.framesOf(offline.id).filter((m) => m.type === 'call.insight_card')).toEqual([
      { type: 'call.insight_card', call_id: waitingId, ...second },
    ])

    const live = await sceneCall(hub, company)
    for (const body of [
      {},
      { contents: [] },
      { contents: [{ type: 'video', url: 'https://example.test' }] },
      { contents: [{ type: 'title', text: 'x', link: 'not a link' }] },
      { contents: [{ type: 'title', text: 'x', link: 'javascript:alert(document.cookie)' }] },
      { contents: [{ type: 'shortText', label: 'x', text: 'y', link: 'data:text/html,<script>1</script>' }] },
      { contents: [{ type: 'shortText', text: 'no label' }] },
      { contents: Array.from({ length: 21 }, () => card.contents[1]) },
    ]) {
      expect((await post(live.id, body)).status, JSON.stringify(body)).toBe(400)
    }
    // An agent's token: not a call of theirs.
    expect((await post(live.id, card, company.agentBearer)).status).toBe(403)
    expect((await post(live.id, card, other.basic)).status).toBe(404)
    expect(hub.agentChannel.framesOf(live.agent.id).filter((m) => m.type === 'call.insight_card')).toEqual([])
  })

  securityCases(() => hub, {
    method: 'POST',
    path: async (c) => `/v1/calls/${(await sceneCall(hub, c)).id}/insight_cards`,
    body: card,
    ownedResource: true,
  })
})

describe('POST /v1/calls/:id/answer, /decline and /hangup', () => {
  const act = (auth: string, id: number, action: 'answer' | 'decline' | 'hangup') =>
    hub.call('POST', `/v1/calls/${id}/${action}`, { auth })

  it("an agent's token answers a call ringing on it and hangs up, as its app would over the socket", async () => {
    const company = await hub.createCompany()
    const call = await sceneCall(hub, company, { agent: { id: company.agentUserId }, answer: false })
    expect((await act(company.agentBearer, call.id, 'answer')).status).toBe(204)
    expect(await callRow(hub, call.id)).toMatchObject({ status: 'answered', userId: company.agentUserId })
    // Answered: nothing more to answer or decline.
    expect((await act(company.agentBearer, call.id, 'answer')).status).toBe(405)
    expect((await act(company.agentBearer, call.id, 'decline')).status).toBe(405)
    hub.clock.advance(30_000)
    expect((await act(company.agentBearer, call.id, 'hangup')).status).toBe(204)
    const ended = await hub.call('GET', `/v1/calls/${call.id}`, { auth: company.basic })
    expect(ended.body.call).toMatchObject({ status: 'done', duration: 30, user: { id: company.agentUserId } })
    expect(ended.body.call.answered_at).not.toBeNull()
    expect((await act(company.agentBearer, call.id, 'hangup')).status).toBe(405)
  })

  it('a decline moves the call on, as a device ringing out would', async () => {
    const company = await hub.createCompany()
    const next = await addAgent(hub, company)
    hub.setOnline(company.id, company.agentUserId)
    hub.setOnline(company.id, next.id)
    const number = await callableNumber(hub, company, (s) => ({
      distribution: {
        ...s.distribution,
        steps: [
          { type: 'user', user_id: company.agentUserId, ring_time_sec: 20 },
          { type: 'user', user_id: next.id, ring_time_sec: 20 },
        ],
      },
    }))
    const placed = await hub.call('POST', '/v1/sandbox/calls', {
      auth: company.basic,
      body: { from: '+33612345678', to: number.e164 },
    })
    const id = placed.body.call.id as number
    expect((await callRow(hub, id)).ringing).toEqual([company.agentUserId])
    expect((await act(company.agentBearer, id, 'decline')).status).toBe(204)
    expect((await callRow(hub, id)).ringing).toEqual([next.id])
    // No longer ringing on them: 405.
    expect((await act(company.agentBearer, id, 'answer')).status).toBe(405)
  })

  it("refuses another agent's call (405), another company's (404) and an API key, nobody's device (403)", async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const colleague = await addAgent(hub, company)
    const mine = await sceneCall(hub, company, { agent: colleague, answer: false })
    for (const action of ['answer', 'decline', 'hangup'] as const) {
      expect((await act(company.agentBearer, mine.id, action)).status, action).toBe(405)
      expect((await act(other.agentBearer, mine.id, action)).status, action).toBe(404)
      const key = await act(company.basic, mine.id, action)
      expect([key.status, key.body.message], action).toEqual([
        403,
        'Only a user answers, declines or hangs up, on their own device',
      ])
    }
    expect(await callRow(hub, mine.id)).toMatchObject({ status: 'initial', ringing: [colleague.id] })
  })
})

describe('POST /v1/calls/:id/pause_recording and /resume_recording', () => {
  it("pauses and resumes an answered call's recording: the carrier's record verb, the agent's app, the timeline", async () => {
    const company = await hub.createCompany()
    const call = await sceneCall(hub, company, { recording: { auto_start: true, allow_pause_resume: true } })
    const actions = createCallActions(hub.deps)
    const recordVerbs = () => (carrierCommands.get(call.id) ?? []).filter((c) => c.verb === 'record')
    expect(recordVerbs()).toEqual([{ verb: 'record', action: 'start' }])

    const pause = await hub.call('POST', `/v1/calls/${call.id}/pause_recording`, { auth: company.basic })
    expect(pause.status).toBe(204)
    expect(pause.body).toBeNull()
    expect((await actions.currentCall(company.id, call.agent.id))?.recording).toBe('paused')
    // Paused already: nothing more to tell the carrier.
    expect(
      (await hub.call('POST', `/v1/calls/${call.id}/pause_recording`, { auth: company.basic })).status,
    ).toBe(204)
    expect(
      (await hub.call('POST', `/v1/calls/${call.id}/resume_recording`, { auth: company.basic })).status,
    ).toBe(204)
    expect((await actions.currentCall(company.id, call.agent.id))?.recording).toBe('on')
    expect(recordVerbs()).toEqual([
      { verb: 'record', action: 'start' },
      { verb: 'record', action: 'pause' },
      { verb: 'record', action: 'resume' },
    ])
    // The agent's app was told each time, though the admin did it through the API.
    expect(
      hub.agentChannel
        .framesOf(call.agent.id)
        .flatMap((m) => (m.type === 'call.answered' && m.call.call_id === call.id ? [m.call.recording] : [])),
    ).toEqual(['on', 'paused', 'on'])
    const res = await hub.call('GET', `/v1/calls/${call.id}?fetch_call_timeline=true`, {
      auth: company.basic,
    })
    expect(res.body.call.timeline.map((e: { type: string }) => e.type).slice(-2)).toEqual([
      'recording_paused',
      'recording_resumed',
    ])
  })

  it('refuses a call not answered, not recorded or whose number forbids pausing (405), an ended call (400)', async () => {
    const company = await hub.createCompany()
    const other = await hub.createCompany()
    const pause = (id: number, auth = company.basic) =>
      hub.call('POST', `/v1/calls/${id}/pause_recording`, { auth })
    const ringing = await sceneCall(hub, company, { answer: false })
    expect((await pause(ringing.id)).status).toBe(405)
    const unrecorded = await sceneCall(hub, company, { recording: { auto_start: false } })
    expect((await pause(unrecorded.id)).body.message).toBe('The call is not being recorded')
    const locked = await sceneCall(hub, company, {
      recording: { auto_start: true, allow_pause_resume: false },
    })
    expect((await pause(locked.id)).status).toBe(405)
    const ended = await sceneCall(hub, company, { recording: { auto_start: true }, hangUpAfterSec: 5 })
    const afterEnd = await hub.call('POST', `/v1/calls/${ended.id}/resume_recording`, { auth: company.basic })
    expect(afterEnd.status).toBe(400)
    expect(afterEnd.body.message).toBe('The call has ended')
    const live = await sceneCall(hub, company, { recording: { auto_start: true } })
    expect((await pause(live.id, company.agentBearer)).status).toBe(403)
    expect((await pause(live.id, other.basic)).status).toBe(404)
    for (const call of [ringing, unrecorded, locked, live]) {
      expect((await callRow(hub, call.id)).recordingState).not.toBe('paused')
    }
  })

  it('leaves the paused stretches out of the recording file, a hang-up while paused included', async () => {
    const company = await hub.createCompany()
    const pause = (id: number, what: 'pause' | 'resume') =>
      hub.call('POST', `/v1/calls/${id}/${what}_recording`, { auth: company.basic })
    const recordingSeconds = async (id: number) => {
      await finalizeCall(hub.deps, id)
      const row = await callRow(hub, id)
      const blob = await hub.blobs.get(row.recordingBlobId!)
      return estimateMp3DurationMs(blob!.bytes)! / 1000
    }
    // 20 s of talk: recorded 5 s, paused 6 s, recorded 9 s.
    const call = await sceneCall(hub, company, { recording: { auto_start: true, allow_pause_resume: true } })
    hub.clock.advance(5_000)
    expect((await pause(call.id, 'pause')).status).toBe(204)
    hub.clock.advance(6_000)
    expect((await pause(call.id, 'resume')).status).toBe(204)
    const actions = createCallActions(hub.deps)
    hub.clock.advance(9_000)
    await actions.agentAction(company.id, call.agent.id, { type: 'hangup', call_id: call.id })
    expect(await recordingSeconds(call.id)).toBeCloseTo(14, 0)

    // Hung up while paused: recorded 4 s, then paused to the end.
    const second = await sceneCall(hub, company, {
      recording: { auto_start: true, allow_pause_resume: true },
    })
    hub.clock.advance(4_000)
    expect((await pause(second.id, 'pause')).status).toBe(204)
    hub.clock.advance(10_000)
    await actions.agentAction(company.id, second.agent.id, { type: 'hangup', call_id: second.id })
    expect(await recordingSeconds(second.id)).toBeCloseTo(4, 0)
  })

  it('the agent on the call pauses and resumes over the realtime channel; a colleague may not', async () => {
    const company = await hub.createCompany()
    const { socket } = await connectAgent(base, tokenOf(company.agentBearer))
    const call = await sceneCall(hub, company, {
      agent: { id: company.agentUserId },
      recording: { auto_start: true },
    })
    socket.send({ type: 'pause_recording', call_id: call.id, ref: 'p1' })
    expect(await socket.next('ack')).toEqual({ type: 'ack', ref: 'p1' })
    expect((await callRow(hub, call.id)).recordingState).toBe('paused')
    socket.send({ type: 'resume_recording', call_id: call.id, ref: 'r1' })
    expect(await socket.next('ack')).toEqual({ type: 'ack', ref: 'r1' })
    expect((await callRow(hub, call.id)).recordingState).toBe('on')

    const colleagues = await sceneCall(hub, company, { recording: { auto_start: true } })
    socket.send({ type: 'pause_recording', call_id: colleagues.id, ref: 'p2' })
    expect(await socket.next('error')).toMatchObject({ ref: 'p2', code: 'not_allowed' })
    expect((await callRow(hub, colleagues.id)).recordingState).toBe('on')
    await socket.close()
  })

  for (const action of ['pause_recording', 'resume_recording']) {
    describe(action, () => {
      securityCases(() => hub, {
        method: 'POST',
        path: async (c) =>
          `/v1/calls/${(await sceneCall(hub, c, { recording: { auto_start: true } })).id}/${action}`,
        ownedResource: true,
      })
    })
  }
})

describe('DELETE /v1/calls/:id/recording and /voicemail', () => {
  /** An ended call with a recording and a voicemail file, as the carrier's callbacks leave them. */
  async function callWithAssets(company: TestCompany) {
    const call = await sceneCall(hub, company, { hangUpAfterSec: 10 })
    const recording = await storeCallAsset(hub.blobs, {
      companyId: company.id,
      callId: call.id,
      kind: 'recording',
      seconds: 2,
    })
    const voicemail = await storeCallAsset(hub.blobs, {
      companyId: company.id,
      callId: call.id,
      kind: 'voicemail',
      seconds: 2,
    })
    await hub.db
      .update(calls)
      .set({ recordingBlobId: recording, voicemailBlobId: voicemail })
      .where(eq(calls.id, call.id))
    const link = (blobKey: string) =>
      signedAssetUrl({
        secret: urlSigningSecret(hub.deps.env),
        base: 'http://hub.test',
        companyId: company.id,
        blobKey,
        now: hub.clock.now(),
      }).url
    return { ...call, recordingUrl: link(recording), voicemailUrl: link(voicemail) }
  }
  const download = async (url: string) => (await hub.app.request(url)).status

  it('deletes the file for good (its links answer 404) and forgets it; a repeat is a no-op', async () => {
    const company = await hub.createCompany()
    const call = await callWithAssets(company)
    expect(await download(call.recordingUrl)).toBe(200)

    const del = await hub.call('DELETE', `/v1/calls/${call.id}/recording`, { auth: company.basic })
    expect(del.status).toBe(204)
    expect(await download(call.recordingUrl)).toBe(404)
    // The voicemail stays until it is deleted too.
    expect(await download(call.voicemailUrl)).toBe(200)
    expect((await hub.call('DELETE', `/v1/calls/${call.id}/recording`, { auth: company.basic })).status).toBe(
      204,
    )
    expect(
      (await hub.call('DELETE', `/v1/calls/${call.id}/voicemail`, { auth: company.adminBearer })).status,
    ).toBe(204)
    expect(await download(call.voicemailUrl)).toBe(404)
    expect(await callRow(hub, call.id)).toMatchObject({ recordingBlobId: null, voicemailBlobId: null })

    const res = await hub.call('GET', `/v1/calls/${call.id}?fetch_call_timeline=true`, {
      auth: company.basic,
    })
    const types = res.body.call.timeline.map((e: { type: string }) => e.type)
    expect(types.filter((t: string) => t.endsWith('_deleted'))).toEqual([
      'recording_deleted',
      'voicemail_deleted',
    ])
  })

  it("never deletes another company's files", async () => {
    const owner = await hub.createCompany()
    const intruder = await hub.createCompany()
    const call = await callWithAssets(owner)
    for (const kind of ['recording', 'voicemail']) {
      expect(
        (await hub.call('DELETE', `/v1/calls/${call.id}/${kind}`, { auth: intruder.basic })).status,
      ).toBe(404)
    }
    expect(await download(call.recordingUrl)).toBe(200)
    expect(await download(call.voicemailUrl)).toBe(200)
  })

  for (const kind of ['recording', 'voicemail']) {
    describe(kind, () => {
      securityCases(() => hub, {
        method: 'DELETE',
        path: async (c) => `/v1/calls/${(await callWithAssets(c)).id}/${kind}`,
        adminOnly: true,
        ownedResource: true,
      })
    })
  }
})
