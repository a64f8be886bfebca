import { describe, expect, it } from 'vitest'
import { busy, idle, offline } from './router-fixtures.ts'
import type { AgentPresence, RoutingWorld } from './routing-types.ts'
import {
  continueTransfer,
  startTransfer,
  TRANSFER_EXTERNAL_RING_SEC,
  TRANSFER_TEAM_RING_SEC,
  TRANSFER_USER_RING_SEC,
  type TransferTarget,
} from './transfer.ts'

const FROM = 1
const world = (
  presence: Record<number, AgentPresence>,
  teams: Record<number, number[]> = {},
): RoutingWorld => ({
  teams: new Map(Object.entries(teams).map(([k, v]) => [Number(k), v])),
  presence: new Map(Object.entries(presence).map(([k, v]) => [Number(k), v])),
  callerBlacklisted: false,
})
const start = (target: TransferTarget, w: RoutingWorld) =>
  startTransfer({ target, fromUserId: FROM, numberId: 1, seed: 42 }, w, 1_000)

describe('transfers', () => {
  it('rings the target user for the transfer ring time; answering connects them', () => {
    const w = world({ [FROM]: idle(), 2: idle() })
    const started = start({ type: 'user', userId: 2 }, w)
    expect(started.step).toEqual({ kind: 'ring', userIds: [2], timeoutSec: TRANSFER_USER_RING_SEC })
    const answered = continueTransfer(started.state, 1, w, { type: 'answered', userId: 2 }, 5_000)
    expect(answered.step).toEqual({ kind: 'connected', userId: 2 })
  })

  it('fails with no_answer when the user lets it ring out, nobody_available when they cannot be rung', () => {
    const w = world({ [FROM]: idle(), 2: idle(), 3: offline() })
    const started = start({ type: 'user', userId: 2 }, w)
    const out = continueTransfer(started.state, 1, w, { type: 'timeout' }, 26_000)
    expect(out.step).toEqual({ kind: 'failed', reason: 'no_answer' })
    expect(start({ type: 'user', userId: 3 }, w).step).toEqual({ kind: 'failed', reason: 'nobody_available' })
  })

  it("rings a team's routable members but never the transferring agent, with the team's strategy", () => {
    const w = world({ [FROM]: idle(), 2: idle(), 3: idle(), 4: offline() }, { 9: [FROM, 2, 3, 4] })
    expect(start({ type: 'team', teamId: 9, strategy: 'simultaneous' }, w).step).toEqual({
      kind: 'ring',
      userIds: [2, 3],
      timeoutSec: TRANSFER_TEAM_RING_SEC,
    })
    const oneByOne = start({ type: 'team', teamId: 9, strategy: 'longest_idle' }, w)
    expect(oneByOne.step).toMatchObject({ kind: 'ring', userIds: [2] })
    // The first lets it ring out: the next member rings.
    const next = continueTransfer(oneByOne.state, 1, w, { type: 'timeout' }, 26_000)
    expect(next.step).toMatchObject({ kind: 'ring', userIds: [3] })
  })

  it('a team whose only member is the transferring agent fails at once; busy members are waited for', () => {
    expect(
      start({ type: 'team', teamId: 9, strategy: 'simultaneous' }, world({ [FROM]: idle() }, { 9: [FROM] }))
        .step,
    ).toEqual({
      kind: 'failed',
      reason: 'nobody_available',
    })
    expect(
      start({ type: 'team', teamId: 9, strategy: 'simultaneous' }, world({ 2: busy() }, { 9: [2] })).step,
    ).toEqual({
      kind: 'wait',
      timeoutSec: TRANSFER_TEAM_RING_SEC,
    })
  })

  it('dials an outside number; its answer connects, busy or the ring time fails', () => {
    const w = world({})
    const started = start({ type: 'number', e164: '+442079460000' }, w)
    expect(started.step).toEqual({
      kind: 'dial',
      e164: '+442079460000',
      timeoutSec: TRANSFER_EXTERNAL_RING_SEC,
    })
    const result = (status: 'answered' | 'busy') =>
      continueTransfer(started.state, 1, w, { type: 'dial_result', status }, 3_000).step
    expect(result('answered')).toEqual({ kind: 'connected', userId: null })
    expect(result('busy')).toEqual({ kind: 'failed', reason: 'busy' })
    expect(continueTransfer(started.state, 1, w, { type: 'timeout' }, 21_000).step).toEqual({
      kind: 'failed',
      reason: 'no_answer',
    })
  })
})
