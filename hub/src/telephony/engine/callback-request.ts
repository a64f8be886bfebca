import { and, eq } from 'drizzle-orm'
import type { Tx } from '../../db/client.ts'
import { callbackTasks, callTags, tags } from '../../db/schema/index.ts'
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

/** Returns the call as it now stands (its version moved on when it was tagged). */
export async function requestCallback(
  tx: Tx,
  deps: Pick<EngineDeps, 'clock' | 'env'>,
  call: CallRow,
): Promise<CallRow> {
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
  if (made.length === 0 || !tag) return call
  const added = await tx
    .insert(callTags)
    .values({ callId: call.id, tagId: tag.id, companyId: call.companyId, taggedBy: null, createdAt: now })
    .onConflictDoNothing()
    .returning({ tagId: callTags.tagId })
  if (added.length === 0) return call
  return commitCallChange(tx, deps, call, {
    type: 'tagged',
    data: { tag_ids: [tag.id], by: null, reason: 'callback_request' },
    event: 'call.tagged',
  })
}
