import type { NumberSettings } from '@switchboard/shared'
import { and, eq } from 'drizzle-orm'
import { badRequest, DomainError } from '../../core/errors.ts'
import type { Queryable } from '../../db/client.ts'
import { numbers } from '../../db/schema/index.ts'
import type { ServiceContext } from '../context.ts'
import {
  applyMessages,
  type MessageAudioDeps,
  type MessagesInput,
  type PreparedMessages,
  planMessages,
  prepareMessages,
  withMessageChanges,
} from './aircall-messages.ts'
import { findNumber, hydrateNumber } from './number-hydrate.ts'
import type { NumberJson } from './number-json.ts'
import { type NumberDeps, scheduleHours } from './number-provisioning.ts'
import { lockRoutingGraph } from './number-references.ts'
import type { NumberRow } from './number-rules.ts'
import { hoursDiffer } from './number-settings-service.ts'
import { validateNumberSettings } from './number-settings-validation.ts'

export type UpdateNumberInput = {
  name?: string
  priority?: number | null
  type?: 'classic' | 'ivr'
  time_zone?: string
  availability_status?: 'open' | 'custom' | 'closed'
  /** Aircall's Music & Messages: public MP3 URLs per Aircall key (aircall-messages.ts planMessages). */
  messages?: MessagesInput
}

const MODE_BY_AVAILABILITY = { open: 'always_open', custom: 'custom', closed: 'always_closed' } as const

/** The settings PUT /v1/numbers/:id writes, `messages` aside. */
function updatedSettings(
  current: NumberRow,
  input: UpdateNumberInput,
  type: NumberRow['type'],
): NumberSettings {
  const next: NumberSettings = structuredClone(current.settings)
  if (input.time_zone !== undefined) next.business_hours.time_zone = input.time_zone
  if (input.availability_status !== undefined)
    next.business_hours.mode = MODE_BY_AVAILABILITY[input.availability_status]
  // Switching to IVR: inbound calls go through the menu, only outbound calls are recorded.
  if (type === 'ivr' && current.type !== 'ivr') next.recording.inbound.auto_start = false
  return next
}

/**
 * PUT /v1/numbers/:id (Aircall's Number update): name, priority, type, the two business-hours
 * shortcuts Aircall exposes, and `messages`. The audio behind `messages` is downloaded and
 * stored before the transaction (never while holding the routing lock), and only once the whole
 * request has been checked against the number as it is (a request refused anyway downloads
 * nothing); the transaction checks again. If the update does not commit, the stored blobs are
 * deleted again, so a refused request leaves nothing behind.
 */
export async function updateNumber(
  ctx: ServiceContext,
  deps: NumberDeps,
  id: number,
  input: UpdateNumberInput,
  media: MessageAudioDeps,
): Promise<NumberJson> {
  const timeZoneField = input.time_zone !== undefined ? 'time_zone' : null
  let prepared: PreparedMessages | null = null
  if (input.messages && Object.keys(input.messages).length > 0) {
    const before = await findNumber(ctx.db, ctx.companyId, id)
    const type = input.type ?? before.type
    const plan = await planMessages(ctx, before, type, input.messages)
    if (plan.downloads.length > 0) {
      // Downloads are the costly part: everything else is checked first, as the transaction will.
      const next = updatedSettings(before, input, type)
      next.messages = withMessageChanges(before, type, next, plan.changes)
      await revalidate(ctx.db, ctx, { id, type }, next, timeZoneField)
    }
    prepared = await prepareMessages(ctx, media, before, plan)
  }
  let outcome: { row: NumberRow; hoursChanged: boolean }
  try {
    outcome = await ctx.db.transaction(async (tx) => {
      await lockRoutingGraph(tx, ctx.companyId)
      const current = await findNumber(tx, ctx.companyId, id, { forUpdate: true })
      const type = input.type ?? current.type
      const next = updatedSettings(current, input, type)
      if (prepared) {
        // The keys were checked against the type read before the downloads.
        if (prepared.type !== type) {
          throw new DomainError('conflict', 'The number changed type meanwhile; send the request again')
        }
        next.messages = await applyMessages(tx, current, next, prepared)
      }
      const settings = await revalidate(tx, ctx, { id, type }, next, timeZoneField)
      const [updated] = await tx
        .update(numbers)
        .set({
          name: input.name ?? current.name,
          priority: input.priority === undefined ? current.priority : input.priority,
          type,
          timeZone: settings.business_hours.time_zone,
          settings,
          updatedAt: ctx.clock.now(),
        })
        .where(and(eq(numbers.id, id), eq(numbers.companyId, ctx.companyId)))
        .returning()
      return { row: updated!, hoursChanged: hoursDiffer(current.settings, settings) }
    })
  } catch (err) {
    await prepared?.discard()
    throw err
  }
  const { row, hoursChanged } = outcome
  if (hoursChanged) await scheduleHours(deps, ctx, row, true)
  return hydrateNumber(ctx.db, ctx.companyId, ctx.links, ctx.clock.now(), row)
}

/** Validates; a time_zone problem is reported on the PUT's own field name. */
async function revalidate(
  tx: Queryable,
  ctx: ServiceContext,
  number: { id: number; type: 'classic' | 'ivr' },
  settings: NumberSettings,
  timeZoneField: string | null,
) {
  try {
    return await validateNumberSettings(tx, ctx.companyId, number, settings)
  } catch (err) {
    if (timeZoneField && err instanceof DomainError && err.extra.field === 'business_hours.time_zone') {
      throw badRequest(timeZoneField, 'must be an IANA time zone such as Europe/Paris')
    }
    throw err
  }
}
