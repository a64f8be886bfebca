import { normalizePhone } from '@switchboard/shared'
import { and, eq, isNull, sql } from 'drizzle-orm'
import { badRequest, DomainError, notFound } from '../../core/errors.ts'
import type { Queryable } from '../../db/client.ts'
import { compiled } from '../../db/compiled.ts'
import { numbers, sandboxDevices, users } from '../../db/schema/index.ts'
import {
  applyCallEvent,
  type EngineDeps,
  type EngineEvent,
  eventBase,
  nudgeWaitingCalls,
  startInboundCall,
} from '../../telephony/engine/call-engine.ts'
import { loadCallRefs } from '../../telephony/engine/call-object.ts'
import type { ServiceContext } from '../context.ts'
import type { HubDeps } from '../deps.ts'
import { admitCall } from './call-admission.ts'
import { type CallJson, toCallJson } from './call-json.ts'

/**
 * The simulation API of the sandbox carrier: what a real carrier would report (a call
 * arrives, the caller presses keys or hangs up, an agent's leg answers or declines, a
 * voicemail is left), fed to the call engine exactly as the carrier's events would be.
 */

/** The company's numbers in service (run at every simulated call, built once). */
const liveNumbers = compiled((db: Queryable) =>
  db
    .select({ id: numbers.id, e164: numbers.e164, country: numbers.country })
    .from(numbers)
    .where(and(eq(numbers.companyId, sql.placeholder('companyId')), isNull(numbers.releasedAt))),
)

/** The number of the company a simulated caller dialled, written in any common format. */
async function findCalledNumber(ctx: ServiceContext, to: string) {
  const live = await liveNumbers(ctx.db, { companyId: ctx.companyId })
  const digits = to.replace(/[^\d+]/g, '').replace(/^00/, '+')
  const candidates = new Set<string>([digits])
  const international = normalizePhone(to)
  if (international) candidates.add(international.e164)
  for (const country of new Set(live.map((n) => n.country))) {
    const national = normalizePhone(to, country)
    if (national) candidates.add(national.e164)
  }
  const found = live.find((n) => candidates.has(n.e164))
  if (!found) throw badRequest('to', `"${to}" is not a number of this company`)
  return found
}

/**
 * A simulated caller dials one of the company's numbers: the call is set up as a carrier's
 * would be, through the hub's admission (503 when it is saturated: the caller hears busy).
 */
export async function placeSandboxCall(
  deps: EngineDeps & Pick<HubDeps, 'callAdmission'>,
  ctx: ServiceContext,
  input: { from: string; to: string },
): Promise<CallJson> {
  return admitCall(deps, ctx.companyId, () => setUpSandboxCall(deps, ctx, input))
}

async function setUpSandboxCall(
  deps: EngineDeps,
  ctx: ServiceContext,
  input: { from: string; to: string },
): Promise<CallJson> {
  const number = await findCalledNumber(ctx, input.to)
  let from = 'anonymous'
  if (input.from.trim().toLowerCase() !== 'anonymous') {
    const caller = normalizePhone(input.from, number.country)
    if (!caller) throw badRequest('from', `"${input.from}" is not a valid phone number (or "anonymous")`)
    from = caller.e164
  }
  const { call, refs } = await startInboundCall(deps, {
    companyId: ctx.companyId,
    numberId: number.id,
    from,
    rawDigits: input.from.trim(),
  })
  // The names the engine built the call's events with: no second read of them.
  return toCallJson(
    call,
    refs
      ? { ...refs, assetUrl: ctx.callAssetUrl }
      : await loadCallRefs(ctx.db, call, eventBase(deps.env), ctx.callAssetUrl),
  )
}

/** A carrier event on one of the company's calls (404 for another company's). */
export async function sandboxCallEvent(
  deps: EngineDeps,
  ctx: ServiceContext,
  callId: number,
  event: EngineEvent,
): Promise<void> {
  if ('userId' in event) await requireUser(ctx, event.userId)
  await applyCallEvent(deps, callId, event, ctx.companyId)
}

async function requireUser(ctx: ServiceContext, userId: number) {
  const [user] = await ctx.db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.id, userId), eq(users.companyId, ctx.companyId)))
  if (!user) throw notFound('User not found')
}

export type SandboxDevice = { user_id: number; answer_after_sec: number; talk_sec: number }

/** A simulated device for the agent: counts as online, answers after N s, talks M s. */
export async function setSandboxDevice(
  deps: EngineDeps,
  ctx: ServiceContext,
  userId: number,
  input: { answer_after_sec: number; talk_sec: number },
): Promise<SandboxDevice> {
  await requireUser(ctx, userId)
  const values = { answerAfterSec: input.answer_after_sec, talkSec: input.talk_sec }
  await ctx.db
    .insert(sandboxDevices)
    .values({ companyId: ctx.companyId, userId, ...values })
    .onConflictDoUpdate({ target: sandboxDevices.userId, set: values })
  // The device puts the agent online: calls waiting for someone may ring it now.
  await nudgeWaitingCalls(deps, ctx.companyId)
  return { user_id: userId, ...input }
}

/** The agent's simulated device, null when they have none (404: not a user of the company). */
export async function getSandboxDevice(ctx: ServiceContext, userId: number): Promise<SandboxDevice | null> {
  await requireUser(ctx, userId)
  const [device] = await ctx.db
    .select({ answerAfterSec: sandboxDevices.answerAfterSec, talkSec: sandboxDevices.talkSec })
    .from(sandboxDevices)
    .where(and(eq(sandboxDevices.userId, userId), eq(sandboxDevices.companyId, ctx.companyId)))
  return device
    ? { user_id: userId, answer_after_sec: device.answerAfterSec, talk_sec: device.talkSec }
    : null
}

export async function removeSandboxDevice(ctx: ServiceContext, userId: number): Promise<void> {
  await requireUser(ctx, userId)
  const removed = await ctx.db
    .delete(sandboxDevices)
    .where(and(eq(sandboxDevices.userId, userId), eq(sandboxDevices.companyId, ctx.companyId)))
    .returning({ userId: sandboxDevices.userId })
  if (removed.length === 0) throw new DomainError('not_found', 'This agent has no simulated device')
}
