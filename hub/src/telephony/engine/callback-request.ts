import type { ServerMessage } from '@switchboard/shared'
import { and, eq } from 'drizzle-orm'
import type { Tx } from '../../db/client.ts'
import { callbackTasks, callTags, tags } from '../../db/schema/index.ts'
import type { RoutingConfig } from '../routing-types.ts'
import { commitCallChange } from './call-change.ts'
import type { EngineDeps } from './call-engine.ts'
import type { CallRow } from './call-object.ts'

/**
 * The `*` callback request (admin guide, "Demande de rappel"): a caller waiting for an agent
 * presses `*`; the router plays the callback confirmation and ends the call (router.ts). Here,
 * in the transaction of that key press: the call is tagged Callback Request (call.tagged, a
 * `tagged` timeline row) and a callback task is made for the number's agents. The tag is a
 * system tag every company gets when it is created; a company made before it existed gets it
 * now. One task per call: a repeat changes nothing.
 */

/** The system tag, as company creation makes it (services/company/create-company.ts). */
export const CALLBACK_TAG = {
  name: 'Callback Request',
  color: '#00B894',
  description: 'Caller asked to be called back',
} as const

/** The task as the agents' apps are told of it (`callback_task.created`). */
export type NewCallbackTask = Extract<ServerMessage, { type: 'callback_task.created' }>['task']

/**
 * Returns the call as it now stands (its version moved on when it was tagged), and the task
 * when this press made it.
 */
export async function requestCallback(
  tx: Tx,
  deps: Pick<EngineDeps, 'clock' | 'env'>,
  call: CallRow,
): Promise<{ call: CallRow; task: NewCallbackTask | null }> {
  const now = deps.clock.now()
  await tx
    .insert(tags)
    .values({ companyId: call.companyId, ...CALLBACK_TAG, isSystem: true })
    .onConflictDoNothing()
  const [tag] = await tx
    .select({ id: tags.id })
    .from(tags)
    .where(and(eq(tags.companyId, call.companyId), eq(tags.name, CALLBACK_TAG.name)))
  const made = await tx
    .insert(callbackTasks)
    .values({
      companyId: call.companyId,
      callId: call.id,
      numberId: call.numberId,
      externalNumber: call.externalNumber,
      rawDigits: call.rawDigits,
      createdAt: now,
    })
    .onConflictDoNothing()
    .returning({ id: callbackTasks.id })
  if (made.length === 0) return { call, task: null }
  const task: NewCallbackTask = {
    id: made[0]!.id,
    call_id: call.id,
    phone_number: call.externalNumber,
    number_id: call.numberId,
    created_at: Math.floor(now.getTime() / 1000),
  }
  if (!tag) return { call, task }
  const added = await tx
    .insert(callTags)
    .values({ callId: call.id, tagId: tag.id, companyId: call.companyId, taggedBy: null, createdAt: now })
    .onConflictDoNothing()
    .returning({ tagId: callTags.tagId })
  if (added.length === 0) return { call, task }
  const tagged = await commitCallChange(tx, deps, call, {
    type: 'tagged',
    data: { tag_ids: [tag.id], by: null, reason: 'callback_request' },
    event: 'call.tagged',
  })
  return { call: tagged, task }
}

/**
 * Who is told of a number's new callback task: the users its routing can reach (user steps,
 * team steps' members, the IVR's options and fallback), as a Number's `users` lists them for
 * inbound calls. Admins elsewhere see it when they list the tasks.
 */
export function numberAgents(
  config: RoutingConfig | undefined,
  teams: ReadonlyMap<number, readonly number[]>,
) {
  if (!config) return []
  const ids = new Set<number>()
  const add = (d: { type?: string; kind?: string; userId?: number; teamId?: number }) => {
    if ((d.type ?? d.kind) === 'user' && d.userId !== undefined) ids.add(d.userId)
    if ((d.type ?? d.kind) === 'team' && d.teamId !== undefined)
      for (const id of teams.get(d.teamId) ?? []) ids.add(id)
  }
  for (const step of config.distribution) add(step)
  for (const option of Object.values(config.ivr.options)) if (option) add(option)
  add(config.ivr.fallback)
  return [...ids]
}
