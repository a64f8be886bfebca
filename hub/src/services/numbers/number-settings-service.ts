import type { MessageSlot, NumberSettings } from '@switchboard/shared'
import { and, eq } from 'drizzle-orm'
import { badRequest } from '../../core/errors.ts'
import type { Queryable } from '../../db/client.ts'
import { numbers } from '../../db/schema/index.ts'
import type { ServiceContext } from '../context.ts'
import { findNumber } from './number-hydrate.ts'
import {
  createNumberIn,
  type NumberDeps,
  type Provisioned,
  scheduleHours,
  withProvisioning,
} from './number-provisioning.ts'
import type { NumberRow } from './number-rules.ts'
import {
  type MessagesPatch,
  messagesPatchSchema,
  type NumberSettingsInput,
  type NumberSettingsPatch,
} from './number-settings.ts'
import { validateNumberSettings } from './number-settings-validation.ts'

/**
 * The routing configuration of a number (GET/PUT/PATCH /v1/numbers/:id/settings and the section
 * PUTs): every write is validated as a whole document, under the company's routing lock.
 */

export async function getNumberSettings(ctx: ServiceContext, id: number): Promise<NumberSettings> {
  return (await findNumber(ctx.db, ctx.companyId, id)).settings
}

export const hoursDiffer = (a: NumberSettings, b: NumberSettings) =>
  JSON.stringify(a.business_hours) !== JSON.stringify(b.business_hours)

/**
 * Turns the input document into the stored one: IVR options that ask to create a number
 * get it created (inside the same transaction) and point to its id.
 */
async function resolveInput(
  tx: Queryable,
  ctx: ServiceContext,
  deps: NumberDeps,
  input: NumberSettingsInput,
  provisioned: Provisioned,
  created: NumberRow[],
): Promise<NumberSettings> {
  input.ivr.options.forEach((o, i) => {
    const d = o.destination
    if (d.type !== 'number') return
    const at = `ivr.options.${i}.destination`
    if (d.number_id !== undefined && d.create_number !== undefined) {
      throw badRequest(at, 'give number_id or create_number, not both')
    }
    if (d.number_id === undefined && d.create_number === undefined) {
      throw badRequest(`${at}.number_id`, 'required (or create_number)')
    }
  })
  const options: NumberSettings['ivr']['options'] = []
  for (const [i, o] of input.ivr.options.entries()) {
    const d = o.destination
    if (d.type !== 'number') {
      options.push({ key: o.key, destination: d })
      continue
    }
    let numberId = d.number_id
    if (d.create_number) {
      const row = await createNumberIn(
        tx,
        ctx,
        deps,
        d.create_number,
        provisioned,
        `ivr.options.${i}.destination.create_number.`,
      )
      created.push(row)
      numberId = row.id
    }
    options.push({ key: o.key, destination: { type: 'number', number_id: numberId! } })
  }
  return { ...input, ivr: { ...input.ivr, options } }
}

/** Reads the number under the lock, builds the new document from it, validates and stores it. */
export async function writeSettings(
  ctx: ServiceContext,
  deps: NumberDeps,
  id: number,
  build: (current: NumberRow) => NumberSettingsInput,
): Promise<NumberSettings> {
  let hoursChanged = false
  const row = await withProvisioning(ctx, deps, async (tx, provisioned, created) => {
    const current = await findNumber(tx, ctx.companyId, id, { forUpdate: true })
    const resolved = await resolveInput(tx, ctx, deps, build(current), provisioned, created)
    const settings = await validateNumberSettings(tx, ctx.companyId, current, resolved)
    const [updated] = await tx
      .update(numbers)
      .set({ settings, timeZone: settings.business_hours.time_zone, updatedAt: ctx.clock.now() })
      .where(and(eq(numbers.id, id), eq(numbers.companyId, ctx.companyId)))
      .returning()
    hoursChanged = hoursDiffer(current.settings, settings)
    return updated!
  })
  if (hoursChanged) await scheduleHours(deps, ctx, row, true)
  return row.settings
}

/** PUT /v1/numbers/:id/settings: the whole document, validated as a whole. */
export function replaceNumberSettings(
  ctx: ServiceContext,
  deps: NumberDeps,
  id: number,
  input: NumberSettingsInput,
): Promise<NumberSettings> {
  return writeSettings(ctx, deps, id, () => input)
}

/** The entries of `value` that are not undefined (JSON has no undefined: absent = keep). */
function given<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

/**
 * PATCH /v1/numbers/:id/settings and the section PUTs: given sections replace the stored ones,
 * except messages, which change one slot at a time (the slots absent keep their message).
 */
export function patchNumberSettings(
  ctx: ServiceContext,
  deps: NumberDeps,
  id: number,
  patch: NumberSettingsPatch,
): Promise<NumberSettings> {
  const { messages, ...sections } = patch
  return writeSettings(ctx, deps, id, (current) => ({
    ...current.settings,
    ...given(sections),
    messages: { ...current.settings.messages, ...given(messages ?? {}) },
  }))
}

/**
 * PUT /v1/numbers/:id/settings/messages/:slot: that one message (null removes a spoken one; the
 * music on hold is a library track or an uploaded file), the other messages untouched.
 */
export function setNumberMessage(
  ctx: ServiceContext,
  deps: NumberDeps,
  id: number,
  slot: MessageSlot,
  message: unknown,
): Promise<NumberSettings> {
  if (message === undefined) throw badRequest('message', 'required: a message, or null')
  const parsed = messagesPatchSchema.safeParse({ [slot]: message })
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    // A wrong `type` is the message as a whole being of the wrong kind for this slot.
    const field = ['messages', ...issue.path].join('.').replace(/\.type$/, '')
    throw badRequest(field, issue.message)
  }
  const messages: MessagesPatch = parsed.data
  return patchNumberSettings(ctx, deps, id, { messages })
}
