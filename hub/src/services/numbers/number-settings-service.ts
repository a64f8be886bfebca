import type { NumberSettings } from '@switchboard/shared'
import { and, eq } from 'drizzle-orm'
import type { ServiceContext } from '../../api/context.ts'
import type { Queryable } from '../../db/client.ts'
import { numbers } from '../../db/schema/index.ts'
import { badRequest } from '../../errors.ts'
import { findNumber } from './number-hydrate.ts'
import {
  createNumberIn,
  type NumberDeps,
  type Provisioned,
  scheduleHours,
  withProvisioning,
} from './number-provisioning.ts'
import type { NumberRow } from './number-rules.ts'
import type { NumberSettingsInput, NumberSettingsPatch } from './number-settings.ts'
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
  base: string,
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
        base,
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
  base: string,
  id: number,
  build: (current: NumberRow) => NumberSettingsInput,
): Promise<NumberSettings> {
  let hoursChanged = false
  const row = await withProvisioning(ctx, deps, async (tx, provisioned, created) => {
    const current = await findNumber(tx, ctx.companyId, id, { forUpdate: true })
    const resolved = await resolveInput(tx, ctx, deps, base, build(current), provisioned, created)
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
  base: string,
  id: number,
  input: NumberSettingsInput,
): Promise<NumberSettings> {
  return writeSettings(ctx, deps, base, id, () => input)
}

/** PATCH /v1/numbers/:id/settings and the section PUTs: given sections replace the stored ones. */
export function patchNumberSettings(
  ctx: ServiceContext,
  deps: NumberDeps,
  base: string,
  id: number,
  patch: NumberSettingsPatch,
): Promise<NumberSettings> {
  // JSON has no undefined: a section absent from the body keeps its stored value.
  return writeSettings(ctx, deps, base, id, (current) => ({ ...current.settings, ...patch }))
}
