import { normalizePhone } from '@switchboard/shared'
import { and, eq, inArray, isNull } from 'drizzle-orm'
import { badRequest, DomainError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import { uniqueViolation } from '../../core/postgres-errors.ts'
import type { Queryable } from '../../db/client.ts'
import { numbers, teams, users } from '../../db/schema/index.ts'
import { recordEvent } from '../../events/outbox.ts'
import type { JobQueue } from '../../jobs/queue.ts'
import { type Carrier, CarrierError } from '../../telephony/carrier/carrier.ts'
import {
  type CountryRule,
  countryRules,
  findArea,
  findCountry,
  nsnPrefixOf,
} from '../../telephony/country-rules.ts'
import { isOpenAt } from '../../telephony/number-config.ts'
import { defaultSettings } from '../../telephony/number-defaults.ts'
import type { ServiceContext } from '../context.ts'
import { forgetNumberInProfiles } from '../users/user-number-prefs.ts'
import { scheduleNumberHours } from './number-hours-worker.ts'
import { findNumber, hydrateNumber } from './number-hydrate.ts'
import { displayDigits, type NumberJson } from './number-json.ts'
import { detachFromNumbers, lockRoutingGraph } from './number-references.ts'
import type { NumberRow } from './number-rules.ts'
import type { CreateNumberRequest } from './number-settings.ts'

/**
 * Numbers coming and going: prices and free numbers per country and area, creation (the carrier
 * provisions, the database records, and a transaction that does not commit hands the numbers
 * back), and release.
 */

export type NumberDeps = { carrier: Carrier; queue: JobQueue; logger: Logger }

// ---- pricing and availability ------------------------------------------------------------

function pricingOf(rule: CountryRule) {
  return {
    country: rule.country,
    name: rule.name,
    calling_code: `+${rule.callingCode}`,
    monthly_price: { amount_minor: rule.monthlyPriceMinor, currency: rule.currency },
    verification: {
      required: rule.verification.required,
      documents: rule.verification.documents,
      address_must_be_in: rule.verification.addressMustBeIn ?? null,
    },
    areas: rule.areas.map((a) => ({ code: a.code, name: a.name, time_zone: a.timeZone })),
  }
}
export type CountryPricing = ReturnType<typeof pricingOf>

/** Price and paperwork per country, shown before creation ("Ce numéro sera facturé 6.00€ / mois"). */
export function listPricing(country?: string): CountryPricing[] {
  if (country === undefined) return countryRules.map(pricingOf)
  const rule = findCountry(country)
  if (!rule) throw badRequest('country', `numbers are not available in ${country.toUpperCase()}`)
  return [pricingOf(rule)]
}

function resolveArea(countryInput: string, areaInput: string | undefined) {
  const rule = findCountry(countryInput)
  if (!rule) {
    throw badRequest(
      'country',
      `numbers are not available in ${countryInput.toUpperCase()}; see /v1/numbers/pricing`,
    )
  }
  const area = areaInput === undefined ? rule.areas[0]! : findArea(rule, areaInput)
  if (!area) {
    throw badRequest(
      'area',
      `unknown area for ${rule.country}; one of ${rule.areas.map((a) => a.code).join(', ')}`,
    )
  }
  return { rule, area }
}

/**
 * E.164 numbers among `candidates` that are live in some company. Deliberately not scoped
 * by company: a number belongs to one company at most (numbers_e164_live_unique), and only
 * the candidates' own digits come back, never another tenant's data.
 */
async function takenAmong(db: Queryable, candidates: string[]): Promise<Set<string>> {
  if (candidates.length === 0) return new Set()
  const rows = await db
    .select({ e164: numbers.e164 })
    .from(numbers)
    .where(and(inArray(numbers.e164, candidates), isNull(numbers.releasedAt)))
  return new Set(rows.map((r) => r.e164))
}

async function searchFree(
  db: Queryable,
  carrier: Carrier,
  query: { country: string; area: string; limit: number },
  exclude: Set<string> = new Set(),
): Promise<string[]> {
  // The carrier does not know what the database holds: ask again without the taken ones.
  for (let round = 0; round < 10; round++) {
    const found = await carrierCall(() => carrier.searchAvailable({ ...query, exclude }))
    const taken = await takenAmong(
      db,
      found.map((f) => f.e164),
    )
    if (taken.size === 0) return found.map((f) => f.e164)
    for (const e164 of taken) exclude.add(e164)
  }
  return []
}

async function carrierCall<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof CarrierError && err.retry) {
      throw new DomainError('unavailable', 'The carrier is unavailable; try again shortly')
    }
    throw err
  }
}

export async function listAvailable(
  ctx: ServiceContext,
  carrier: Carrier,
  q: { country: string; area?: string; limit: number },
) {
  const { rule, area } = resolveArea(q.country, q.area)
  const found = await searchFree(ctx.db, carrier, { country: rule.country, area: area.code, limit: q.limit })
  return found.map((e164) => ({
    e164_digits: e164,
    digits: displayDigits(e164),
    country: rule.country,
    area: area.code,
    area_name: area.name,
    time_zone: area.timeZone,
    monthly_price: { amount_minor: rule.monthlyPriceMinor, currency: rule.currency },
  }))
}

// ---- creation ------------------------------------------------------------------------------

/** Carrier numbers provisioned in a transaction, released again if it does not commit. */
export type Provisioned = { carrierRef: string }[]

async function assertMembers(db: Queryable, companyId: number, field: 'users' | 'teams', ids: number[]) {
  if (ids.length === 0) return
  const table = field === 'users' ? users : teams
  const rows = await db
    .select({ id: table.id })
    .from(table)
    .where(and(eq(table.companyId, companyId), inArray(table.id, ids)))
  const found = new Set(rows.map((r) => r.id))
  const missing = ids.findIndex((id) => !found.has(id))
  if (missing >= 0) {
    throw badRequest(
      `${field}.${missing}`,
      `${field === 'users' ? 'user' : 'team'} ${ids[missing]} does not exist`,
    )
  }
}

/**
 * Allocates, provisions and inserts one number inside `tx`. Each insert runs in a savepoint,
 * so losing a race for the same digits (unique index) only costs that candidate.
 */
export async function createNumberIn(
  tx: Queryable,
  ctx: ServiceContext,
  deps: NumberDeps,
  input: CreateNumberRequest,
  provisioned: Provisioned,
  fieldPrefix = '',
): Promise<NumberRow> {
  const field = (name: string) => `${fieldPrefix}${name}`
  let rule: CountryRule
  let area: CountryRule['areas'][number]
  try {
    ;({ rule, area } = resolveArea(input.country, input.area))
  } catch (err) {
    if (err instanceof DomainError && err.extra.field)
      throw badRequest(field(err.extra.field), err.message.replace(/^\w+: /, ''))
    throw err
  }
  const userIds = [...new Set(input.users ?? [])]
  const teamIds = [...new Set(input.teams ?? [])]
  await assertMembers(tx, ctx.companyId, 'users', userIds)
  await assertMembers(tx, ctx.companyId, 'teams', teamIds)

  let wanted: string | null = null
  if (input.e164_digits !== undefined) {
    const parsed = normalizePhone(input.e164_digits)
    const inArea = parsed?.e164.startsWith(`+${rule.callingCode}${nsnPrefixOf(area)}`) ?? false
    if (!parsed || !inArea || parsed.country !== rule.country) {
      throw badRequest(field('e164_digits'), `must be a number of ${rule.country} area ${area.code}`)
    }
    wanted = parsed.e164
  }

  const now = ctx.clock.now()
  const settings = defaultSettings({
    type: input.type,
    timeZone: area.timeZone,
    language: rule.language,
    users: userIds,
    teams: teamIds,
  })
  const exclude = new Set<string>()
  for (let attempt = 0; attempt < 5; attempt++) {
    let e164: string
    if (wanted) {
      if ((await takenAmong(tx, [wanted])).size > 0)
        throw badRequest(field('e164_digits'), 'this number is not available')
      e164 = wanted
    } else {
      const [free] = await searchFree(
        tx,
        deps.carrier,
        { country: rule.country, area: area.code, limit: 1 },
        exclude,
      )
      if (!free)
        throw new DomainError(
          'unavailable',
          `No number is available in ${rule.country} area ${area.code} right now`,
        )
      e164 = free
    }
    let carrierRef: string
    try {
      ;({ carrierRef } = await carrierCall(() => deps.carrier.provision({ e164 })))
    } catch (err) {
      if (!(err instanceof CarrierError)) throw err
      if (wanted) throw badRequest(field('e164_digits'), 'this number is not available')
      exclude.add(e164)
      continue
    }
    provisioned.push({ carrierRef })
    try {
      const row = await tx.transaction(async (sp) => {
        const [inserted] = await sp
          .insert(numbers)
          .values({
            companyId: ctx.companyId,
            name: input.name,
            type: input.type,
            country: rule.country,
            area: area.code,
            e164,
            timeZone: area.timeZone,
            verificationState: rule.verification.required ? 'pending_documents' : 'not_required',
            settings,
            carrier: deps.carrier.name,
            carrierRef,
            monthlyPriceMinor: rule.monthlyPriceMinor,
            currency: rule.currency,
            lastOpen: isOpenAt(settings, now),
            createdAt: now,
            updatedAt: now,
          })
          .returning()
        return inserted!
      })
      await recordEvent(
        tx,
        ctx.clock,
        ctx.companyId,
        'number.created',
        await hydrateNumber(tx, ctx.companyId, ctx.links, now, row),
      )
      return row
    } catch (err) {
      if (uniqueViolation(err) !== 'numbers_e164_live_unique') throw err
      provisioned.pop()
      await releaseQuietly(deps, carrierRef)
      if (wanted) throw badRequest(field('e164_digits'), 'this number is not available')
      exclude.add(e164)
    }
  }
  throw new DomainError(
    'unavailable',
    `No number is available in ${rule.country} area ${area.code} right now`,
  )
}

async function releaseQuietly(deps: NumberDeps, carrierRef: string) {
  try {
    await deps.carrier.release({ carrierRef })
  } catch (err) {
    deps.logger.error({ err, carrierRef }, 'numbers: could not release a provisioned number')
  }
}

/**
 * Runs `fn` in a transaction that holds the company's routing lock and may provision numbers;
 * if it does not commit, those numbers go back to the carrier. After the commit, the created
 * numbers' business-hours chains are scheduled.
 */
export async function withProvisioning<T>(
  ctx: ServiceContext,
  deps: NumberDeps,
  fn: (tx: Queryable, provisioned: Provisioned, created: NumberRow[]) => Promise<T>,
): Promise<T> {
  const provisioned: Provisioned = []
  const created: NumberRow[] = []
  let result: T
  try {
    result = await ctx.db.transaction(async (tx) => {
      await lockRoutingGraph(tx, ctx.companyId)
      return fn(tx, provisioned, created)
    })
  } catch (err) {
    for (const p of provisioned) await releaseQuietly(deps, p.carrierRef)
    throw err
  }
  for (const row of created) await scheduleHours(deps, ctx, row)
  return result
}

/** (Re)schedules the number's business-hours chain; `checkNow` when its hours just changed. */
export async function scheduleHours(deps: NumberDeps, ctx: ServiceContext, row: NumberRow, checkNow = false) {
  try {
    await scheduleNumberHours(deps.queue, ctx.clock, row, { checkNow })
  } catch (err) {
    // The boot sweep (ensureNumberHoursJobs, when workers start) re-creates a chain lost here.
    deps.logger.error({ err, numberId: row.id }, 'numbers: could not schedule the business-hours job')
  }
}

/**
 * POST /v1/numbers. Countries whose rules require documents start `pending_documents`
 * (inactive until the verification flow approves them); the others `not_required` (active).
 */
export async function createNumber(
  ctx: ServiceContext,
  deps: NumberDeps,
  input: CreateNumberRequest,
): Promise<NumberJson> {
  const row = await withProvisioning(ctx, deps, async (tx, provisioned, created) => {
    const r = await createNumberIn(tx, ctx, deps, input, provisioned)
    created.push(r)
    return r
  })
  return hydrateNumber(ctx.db, ctx.companyId, ctx.links, ctx.clock.now(), row)
}

// ---- release -------------------------------------------------------------------------------

/**
 * DELETE /v1/numbers/:id: releases the number with the carrier (inside the transaction, so
 * a carrier failure keeps the number), removes it from other numbers' routing and from the
 * users' caller ID and default number.
 */
export async function deleteNumber(ctx: ServiceContext, deps: NumberDeps, id: number): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    await lockRoutingGraph(tx, ctx.companyId)
    const row = await findNumber(tx, ctx.companyId, id, { forUpdate: true })
    const now = ctx.clock.now()
    const json = await hydrateNumber(tx, ctx.companyId, ctx.links, now, row)
    await tx
      .update(numbers)
      .set({ releasedAt: now, updatedAt: now })
      .where(and(eq(numbers.id, id), eq(numbers.companyId, ctx.companyId)))
    await detachFromNumbers(tx, ctx, { numberId: id })
    await forgetNumberInProfiles(tx, ctx, id)
    await recordEvent(tx, ctx.clock, ctx.companyId, 'number.deleted', json)
    if (row.carrierRef) await carrierCall(() => deps.carrier.release({ carrierRef: row.carrierRef! }))
  })
}
