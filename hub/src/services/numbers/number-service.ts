import { normalizePhone } from '@switchboard/shared'
import { and, eq, inArray, isNull } from 'drizzle-orm'
import { badRequest, DomainError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import { type PaginationQuery, pageWindow } from '../../core/pagination.ts'
import { uniqueViolation } from '../../core/postgres-errors.ts'
import type { Queryable } from '../../db/client.ts'
import { timeRange } from '../../db/list-query.ts'
import { numbers, teams, users } from '../../db/schema/index.ts'
import { recordEvent } from '../../events/outbox.ts'
import type { JobQueue } from '../../jobs/queue.ts'
import { type Carrier, CarrierError } from '../../telephony/carrier/carrier.ts'
import type { ServiceContext } from '../context.ts'
import { forgetNumberInProfiles } from '../users/user-number-prefs.ts'
import { type CountryRule, countryRules, findArea, findCountry, nsnPrefixOf } from './country-rules.ts'
import {
  applyMessages,
  type MessageAudioDeps,
  type MessagesInput,
  type PreparedMessages,
  planMessages,
  prepareMessages,
  withMessageChanges,
} from './number-audio.ts'
import { defaultSettings } from './number-defaults.ts'
import { scheduleNumberHours } from './number-hours-worker.ts'
import { findNumber, hydrateNumber, hydrateNumbers } from './number-hydrate.ts'
import { displayDigits, isOpenAt, type NumberJson, type NumberRow } from './number-json.ts'
import { detachFromNumbers, lockRoutingGraph } from './number-references.ts'
import type {
  CreateNumberRequest,
  NumberSettings,
  NumberSettingsInput,
  NumberSettingsPatch,
} from './number-settings.ts'
import { validateNumberSettings } from './number-settings-validation.ts'

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

// ---- reading -------------------------------------------------------------------------------

/** Agents see the numbers they may use (assigned or outbound-only); admins and API keys see all. */
function visibleTo(ctx: ServiceContext) {
  const actor = ctx.actor
  if (actor.type === 'user' && actor.role === 'agent') {
    return (n: NumberJson) => n.users.some((u) => u.id === actor.userId)
  }
  return () => true
}

/**
 * How people expect names in order: accents and case do not count ("Échange" sits with the
 * E's, "alpha" before "Beta") and digits compare as numbers ("Line 9" before "Line 10").
 * ORDER BY would follow the database's collation (byte order under PGlite's C locale, the
 * server's own elsewhere), so the list is sorted here, the same way on every driver. At links
 * sensitivity French and English order alike; one fixed locale keeps the order stable.
 */
const nameCollator = new Intl.Collator('en', { sensitivity: 'base', numeric: true })

/** The country's display name (the dashboard's group title), which is what groups sort by. */
const countryName = (code: string) => findCountry(code)?.name ?? code

/** Country name, then number name, then id (so equal names keep a stable order across pages). */
export function compareNumbersByName(
  a: Pick<NumberRow, 'country' | 'name' | 'id'>,
  b: Pick<NumberRow, 'country' | 'name' | 'id'>,
): number {
  return (
    nameCollator.compare(countryName(a.country), countryName(b.country)) ||
    nameCollator.compare(a.name, b.name) ||
    a.id - b.id
  )
}

async function visibleNumbers(ctx: ServiceContext, q?: PaginationQuery): Promise<NumberJson[]> {
  const rows = await ctx.db
    .select()
    .from(numbers)
    .where(
      and(
        eq(numbers.companyId, ctx.companyId),
        isNull(numbers.releasedAt),
        q ? timeRange(numbers.createdAt, q) : undefined,
      ),
    )
  // A company has tens or hundreds of numbers: visibility needs each one's assigned users,
  // so the whole list is loaded, sorted and filtered here and the page cut afterwards.
  const sign = q?.order === 'desc' ? -1 : 1
  rows.sort((a, b) => sign * compareNumbersByName(a, b))
  const all = await hydrateNumbers(ctx.db, ctx.companyId, ctx.links, ctx.clock.now(), rows)
  return all.filter(visibleTo(ctx))
}

/** GET /v1/numbers: sorted by country name then name, each with `open` computed at clock.now(). */
export async function listNumbers(ctx: ServiceContext, q: PaginationQuery) {
  const { offset, limit } = pageWindow(q)
  const all = await visibleNumbers(ctx, q)
  return { numbers: all.slice(offset, offset + limit), total: all.length }
}

/** The dashboard's list: numbers grouped by country, country names and number names in order. */
export async function listNumbersByCountry(ctx: ServiceContext) {
  const groups: { country: string; name: string; numbers: NumberJson[] }[] = []
  for (const n of await visibleNumbers(ctx)) {
    let group = groups[groups.length - 1]
    if (!group || group.country !== n.country) {
      group = { country: n.country, name: countryName(n.country), numbers: [] }
      groups.push(group)
    }
    group.numbers.push(n)
  }
  return groups
}

export async function getNumber(ctx: ServiceContext, id: number): Promise<NumberJson> {
  const json = await hydrateNumber(
    ctx.db,
    ctx.companyId,
    ctx.links,
    ctx.clock.now(),
    await findNumber(ctx.db, ctx.companyId, id),
  )
  if (!visibleTo(ctx)(json)) throw new DomainError('not_found', 'Number not found')
  return json
}

export async function getNumberSettings(ctx: ServiceContext, id: number): Promise<NumberSettings> {
  return (await findNumber(ctx.db, ctx.companyId, id)).settings
}

// ---- creation ------------------------------------------------------------------------------

/** Carrier numbers provisioned in a transaction, released again if it does not commit. */
type Provisioned = { carrierRef: string }[]

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
async function createNumberIn(
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
 * Runs `fn` in a transaction that may provision numbers; if it does not commit, those
 * numbers go back to the carrier. After the commit, the created numbers' business-hours
 * chains are scheduled.
 */
async function withProvisioning<T>(
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

async function scheduleHours(deps: NumberDeps, ctx: ServiceContext, row: NumberRow, checkNow = false) {
  try {
    await scheduleNumberHours(deps.queue, ctx.clock, row, { checkNow })
  } catch (err) {
    // The boot sweep (registerNumberWorkers) re-creates a chain lost here.
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

// ---- update and delete ---------------------------------------------------------------------

export type UpdateNumberInput = {
  name?: string
  priority?: number | null
  type?: 'classic' | 'ivr'
  time_zone?: string
  availability_status?: 'open' | 'custom' | 'closed'
  /** Aircall's Music & Messages: public MP3 URLs per Aircall key (number-audio.ts prepareMessages). */
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
 * PUT /v1/numbers/:id: name, priority, type, the two business-hours shortcuts Aircall exposes,
 * and `messages`. The audio behind `messages` is downloaded and stored before the transaction
 * (never while holding the routing lock), and only once the whole request has been checked
 * against the number as it is (a request refused anyway downloads nothing); the transaction
 * checks again. If the update does not commit, the stored blobs are deleted again, so a
 * refused request leaves nothing behind.
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
      next.messages = withMessageChanges(before, type, next.messages, plan.changes)
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
        next.messages = await applyMessages(tx, current, next.messages, prepared)
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

const hoursDiffer = (a: NumberSettings, b: NumberSettings) =>
  JSON.stringify(a.business_hours) !== JSON.stringify(b.business_hours)

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

// ---- settings ------------------------------------------------------------------------------

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

async function writeSettings(
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

/** PATCH /v1/numbers/:id/settings and the section PUTs: given sections replace the stored ones. */
export function patchNumberSettings(
  ctx: ServiceContext,
  deps: NumberDeps,
  id: number,
  patch: NumberSettingsPatch,
): Promise<NumberSettings> {
  // JSON has no undefined: a section absent from the body keeps its stored value.
  return writeSettings(ctx, deps, id, (current) => ({ ...current.settings, ...patch }))
}
