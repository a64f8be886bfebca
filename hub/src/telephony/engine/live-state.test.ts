import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addAgent, callableNumber } from '../../../test/helpers/calls.ts'
import { createTestHub, type TestCompany, type TestHub } from '../../../test/helpers/hub.ts'
import { agentLastCalls, calls, callTags, tags } from '../../db/schema/index.ts'
import { initialCallState } from '../router.ts'
import { loadLiveStates } from './live-state.ts'

/**
 * Agents' live state from their last ended call, which a trigger on `calls` keeps in
 * agent_last_calls: whatever writes the call (here, plain inserts and updates).
 */
let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

const T = Date.parse('2026-12-01T10:00:00Z')

async function call(
  company: TestCompany,
  numberId: number,
  values: { userId: number; endedAt: Date | null; answeredAt?: Date | null },
) {
  const [row] = await hub.db
    .insert(calls)
    .values({
      companyId: company.id,
      numberId,
      direction: 'inbound',
      status: values.endedAt ? 'done' : 'answered',
      externalNumber: '+33612345678',
      rawDigits: '+33612345678',
      startedAt: new Date(T),
      answeredAt: values.answeredAt === undefined ? new Date(T) : values.answeredAt,
      endedAt: values.endedAt,
      userId: values.userId,
      state: initialCallState(T, 1) as unknown as Record<string, unknown>,
    })
    .returning()
  return row!
}

describe('live state from agents’ last calls', () => {
  it('keeps the call that ended last, whatever order the calls end in', async () => {
    const company = await hub.createCompany()
    const agent = await addAgent(hub, company)
    const number = await callableNumber(hub, company, () => ({ mandatory_tagging: false }))
    const later = await call(company, number.id, { userId: agent.id, endedAt: new Date(T + 100_000) })
    await call(company, number.id, { userId: agent.id, endedAt: new Date(T + 50_000) })
    const [kept] = await hub.db.select().from(agentLastCalls).where(eq(agentLastCalls.userId, agent.id))
    expect(kept).toMatchObject({ callId: later.id, answered: true })

    // A call in progress counts once it ends (an update of ended_at).
    const live = await call(company, number.id, { userId: agent.id, endedAt: null })
    expect(
      (await loadLiveStates(hub.db, company.id, T + 120_000, new Map([[agent.id, 0]]))).get(agent.id),
    ).toEqual({ live: 'in_call', idleSince: T + 100_000 })
    await hub.db
      .update(calls)
      .set({ status: 'done', endedAt: new Date(T + 200_000) })
      .where(eq(calls.id, live.id))
    const states = await loadLiveStates(hub.db, company.id, T + 210_000, new Map([[agent.id, 30]]))
    // Ended 10 s ago with a 30 s wrap-up: in after-call work until 230 s.
    expect(states.get(agent.id)).toEqual({ live: 'after_call_work', idleSince: T + 230_000 })
  })

  it('holds an agent whose last answered call on a mandatory-tagging number has no tag, until tagged', async () => {
    const company = await hub.createCompany()
    const agent = await addAgent(hub, company)
    const number = await callableNumber(hub, company, () => ({ mandatory_tagging: true }))
    const last = await call(company, number.id, { userId: agent.id, endedAt: new Date(T + 60_000) })
    const wrapUp = new Map([[agent.id, 0]])
    expect((await loadLiveStates(hub.db, company.id, T + 90_000, wrapUp)).get(agent.id)?.live).toBe(
      'pending_tag',
    )
    const [tag] = await hub.db
      .insert(tags)
      .values({ companyId: company.id, name: 'Done', color: '#00aa00' })
      .returning()
    await hub.db.insert(callTags).values({ callId: last.id, tagId: tag!.id, companyId: company.id })
    expect((await loadLiveStates(hub.db, company.id, T + 90_000, wrapUp)).get(agent.id)?.live).toBe('idle')
    // A missed call on that number asks nothing.
    const other = await addAgent(hub, company)
    await call(company, number.id, { userId: other.id, endedAt: new Date(T + 60_000), answeredAt: null })
    expect(
      (await loadLiveStates(hub.db, company.id, T + 90_000, new Map([[other.id, 0]]))).get(other.id)?.live,
    ).toBe('idle')
  })
})
