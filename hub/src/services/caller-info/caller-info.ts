import { type CrmRecord, isConnectorError } from '@switchboard/connectors'
import {
  type CallerCard,
  type CallerLocation,
  type CallerRecentCall,
  type CallerRecord,
  type CallerWeather,
  type CrmSlug,
  normalizePhone,
} from '@switchboard/shared'
import { and, desc, eq, inArray, isNotNull, isNull, or, sql } from 'drizzle-orm'
import type { Clock } from '../../core/clock.ts'
import { DeadlineExceeded, withDeadline } from '../../core/deadline.ts'
import { badRequest } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { Database, Queryable } from '../../db/client.ts'
import { compiled } from '../../db/compiled.ts'
import {
  calls,
  contactPhoneNumbers,
  contacts,
  integrationNumbers,
  integrations,
  numbers,
  users,
} from '../../db/schema/index.ts'
import type { Env } from '../../env.ts'
import { type IntegrationRow, isCrm, NotConnectedError, openConnector } from '../integrations/connections.ts'
import { CardCache } from './card-cache.ts'

/**
 * The caller card (shared/src/caller-card.ts): who is calling, from the company's CRMs, its
 * last calls with the number, and where the caller is (local time, weather).
 *
 * Which CRMs are asked:
 * - for a call (`numberId` given): the company's active, connected CRM integrations linked to
 *   that number — the same ones its calls are logged into;
 * - without a number (`GET /v1/caller_info`, a number on a CRM page): every active, connected
 *   CRM integration of the company.
 * An active integration that needs reconnecting is listed in `sources` (not asked).
 *
 * The CRMs are asked in parallel under one short deadline (CALLER_INFO_DEADLINE_MS): a ringing
 * agent needs the card in the first second, so a CRM that is slow or failing is left out of this
 * card (`ok: false` with a plain reason) rather than delaying it.
 *
 * Cards are cached per company (card-cache.ts) for a minute, 10 s when a source failed. The key
 * holds the integrations asked with their `updated_at` and status, so a change to them (linked,
 * unlinked, disabled, reconnected, settings) is a new key; which integrations to ask is itself
 * remembered for 2 s per (company, number), so every hub process sees a change within 2 s (the
 * one that made it at once, through forgetCompany). Calls and contacts of the last minute may be
 * missing from a cached card.
 */

export type WeatherResult = {
  location: CallerLocation | null
  weather: CallerWeather | null
  /** Why there is none, in words (logged, not shown). */
  error: string | null
}

/**
 * Where the number is from and the weather there (connectors' weather app). `withWeather`:
 * false when the company has no active weather app — the place and local time only.
 */
export type WeatherLookup = (e164: string, opts: { withWeather: boolean }) => Promise<WeatherResult>

/** Until a weather provider is plugged in: no place, no weather. */
export const noWeather: WeatherLookup = async () => ({ location: null, weather: null, error: null })

export type CallerInfoOptions = {
  /** How long the CRMs and the weather get (ms). */
  deadlineMs: number
  /** How long a card whose sources all answered is kept (ms). */
  ttlMs: number
  /** How long a card with a failed source is kept (ms). */
  partialTtlMs: number
  /**
   * How long the set of integrations to ask for a (company, number) is remembered (ms): a warm
   * lookup then reads no database at all. Another hub process sees an integration change
   * within this delay; the process that made it at once (`forgetCompany`).
   */
  integrationsTtlMs: number
  maxPerCompany: number
  maxCompanies: number
  weather: WeatherLookup
}

/** The hub's caller-info state: the options and the cache (one per hub process). */
export type CallerInfo = {
  readonly options: CallerInfoOptions
  readonly cache: CardCache<CallerCard>
  readonly integrationSets: CardCache<IntegrationRow[]>
  /** The company's integrations changed (the Integrations API): its next lookups start afresh. */
  forgetCompany(companyId: number): void
}

export function createCallerInfo(
  deps: { env: Pick<Env, 'CALLER_INFO_DEADLINE_MS'>; clock: Clock },
  options: Partial<CallerInfoOptions> = {},
): CallerInfo {
  const full: CallerInfoOptions = {
    deadlineMs: deps.env.CALLER_INFO_DEADLINE_MS,
    ttlMs: 60_000,
    partialTtlMs: 10_000,
    maxPerCompany: 500,
    maxCompanies: 2_000,
    integrationsTtlMs: 2_000,
    weather: noWeather,
    ...options,
  }
  const now = () => deps.clock.now().getTime()
  const cache = new CardCache<CallerCard>({
    maxPerCompany: full.maxPerCompany,
    maxCompanies: full.maxCompanies,
    now,
  })
  const integrationSets = new CardCache<IntegrationRow[]>({
    maxPerCompany: 1_000,
    maxCompanies: full.maxCompanies,
    now,
  })
  return {
    options: full,
    cache,
    integrationSets,
    forgetCompany(companyId) {
      cache.forgetCompany(companyId)
      integrationSets.forgetCompany(companyId)
    },
  }
}

export type CallerInfoDeps = {
  env: Env
  db: Database
  clock: Clock
  logger: Logger
  callerInfo: CallerInfo
}

export type CallerCardInput = {
  companyId: number
  /** E.164, "anonymous", or a number in the national format of `defaultCountry`. */
  phoneNumber: string
  /** The company's number the call is on: only the CRMs linked to it are asked. */
  numberId?: number | null
  /** ISO country for a national number. */
  defaultCountry?: string | null
}

/** The card of a number that is not one: nothing to look up. */
function emptyCard(phoneNumber: string): CallerCard {
  return {
    phone_number: phoneNumber,
    name: null,
    company: null,
    records: [],
    recent_calls: [],
    location: null,
    weather: null,
    sources: [],
  }
}

/**
 * The caller card of a number, for a company. Throws only for an invalid number (bad_request);
 * CRM and weather failures are in the card.
 */
export async function callerCard(deps: CallerInfoDeps, input: CallerCardInput): Promise<CallerCard> {
  if (input.phoneNumber === 'anonymous') return emptyCard('anonymous')
  const e164 = await e164Of(deps.db, input)
  const { cache, integrationSets, options } = deps.callerInfo
  const numberId = input.numberId ?? null
  const apps = await integrationSets.get(input.companyId, String(numberId ?? '*'), async () => ({
    value: await integrationsToAsk(deps.db, input.companyId, numberId),
    ttlMs: options.integrationsTtlMs,
  }))
  const key = [
    input.numberId ?? '*',
    e164,
    ...apps.map((a) => `${a.id}:${a.status}:${a.updatedAt.getTime()}`),
  ].join('|')
  return cache.get(input.companyId, key, async () => {
    // The rows as they are now (fresh tokens), not as remembered for the key; with no CRM to
    // ask there is no token to refresh.
    const fresh = apps.some((a) => isCrm(a.kind))
      ? await integrationsToAsk(deps.db, input.companyId, numberId)
      : apps
    const card = await lookUp(deps, input.companyId, e164, fresh)
    const complete = card.sources.every((s) => s.ok)
    return { value: card, ttlMs: complete ? options.ttlMs : options.partialTtlMs }
  })
}

/**
 * The number in E.164: as given when international, else national in `defaultCountry`, else in
 * the country of the company's first number. bad_request (phone_number) when it is no number.
 */
async function e164Of(db: Database, input: CallerCardInput): Promise<string> {
  const raw = input.phoneNumber
  const international = normalizePhone(raw)?.e164
  if (international) return international
  let country = input.defaultCountry ?? null
  if (!country && /^\s*[^+\s]/.test(raw) && !/^\s*00/.test(raw)) {
    const [first] = await db
      .select({ country: numbers.country })
      .from(numbers)
      .where(and(eq(numbers.companyId, input.companyId), isNull(numbers.releasedAt)))
      .orderBy(numbers.id)
      .limit(1)
    country = first?.country ?? null
  }
  const national = country ? normalizePhone(raw, country)?.e164 : undefined
  if (national) return national
  throw badRequest(
    'phone_number',
    country
      ? `not a valid phone number (international "+33…" or national in ${country})`
      : 'not a valid phone number: give it in international format ("+33…")',
  )
}

/**
 * The active CRM integrations to ask (connected, or needing reconnection) and the weather app;
 * with `forNumber`, only the CRMs linked to the number `numberId`. Built once each (they run at
 * every ring).
 */
const integrationsStatement = (forNumber: boolean) =>
  compiled((db: Queryable) => {
    const companyId = sql.placeholder('companyId')
    const crm = and(
      sql`${integrations.kind} <> 'weather'`,
      inArray(integrations.status, ['connected', 'reauth']),
      forNumber
        ? inArray(
            integrations.id,
            db
              .select({ id: integrationNumbers.integrationId })
              .from(integrationNumbers)
              .where(
                and(
                  eq(integrationNumbers.numberId, sql.placeholder('numberId')),
                  eq(integrationNumbers.companyId, companyId),
                ),
              ),
          )
        : undefined,
    )
    return db
      .select()
      .from(integrations)
      .where(
        and(
          eq(integrations.companyId, companyId),
          eq(integrations.active, true),
          or(eq(integrations.kind, 'weather'), crm),
        ),
      )
      .orderBy(integrations.id)
  })
const integrationsOfCompany = integrationsStatement(false)
const integrationsOfNumber = integrationsStatement(true)

function integrationsToAsk(
  db: Database,
  companyId: number,
  numberId: number | null,
): Promise<IntegrationRow[]> {
  return numberId === null
    ? integrationsOfCompany(db, { companyId })
    : integrationsOfNumber(db, { companyId, numberId })
}

type Source = CallerCard['sources'][number]

async function lookUp(
  deps: CallerInfoDeps,
  companyId: number,
  e164: string,
  apps: IntegrationRow[],
): Promise<CallerCard> {
  const { deadlineMs, weather } = deps.callerInfo.options
  const crms = apps.filter((a) => isCrm(a.kind))
  const withWeather = apps.some((a) => a.kind === 'weather')
  const [asked, recent, own, place] = await Promise.all([
    Promise.all(crms.map((row) => askCrm(deps, row, e164, deadlineMs))),
    recentCalls(deps.db, companyId, e164),
    ownContact(deps.db, companyId, e164),
    withDeadline(weather(e164, { withWeather }), deadlineMs).catch(
      (err: unknown): WeatherResult => ({ location: null, weather: null, error: reasonOf(err) }),
    ),
  ])
  if (place.error) deps.logger.debug({ companyId, error: place.error }, 'caller info: no weather')
  const records = asked.flatMap((a) => a.records)
  const best = records[0]
  return {
    phone_number: e164,
    name: best?.name || own?.name || null,
    company:
      (best ? (best.company ?? (best.type === 'account' ? best.name : null)) : null) ?? own?.company ?? null,
    records,
    recent_calls: recent,
    location: place.location,
    weather: withWeather ? place.weather : null,
    sources: asked.map((a) => a.source),
  }
}

async function askCrm(
  deps: CallerInfoDeps,
  row: IntegrationRow,
  e164: string,
  deadlineMs: number,
): Promise<{ source: Source; records: CallerRecord[] }> {
  const crm = row.kind as CrmSlug
  const failed = (error: string) => ({
    source: { integration_id: row.id, crm, ok: false, error },
    records: [],
  })
  if (row.status === 'reauth') return failed('needs reconnecting')
  try {
    const found = await withDeadline(
      openConnector(deps, row, { timeoutMs: deadlineMs }).then((c) => c.lookupByPhone(e164)),
      deadlineMs,
    )
    return {
      source: { integration_id: row.id, crm, ok: true, error: null },
      records: found.map((r) => callerRecord(row, crm, r)),
    }
  } catch (err) {
    const reason = reasonOf(err)
    deps.logger.debug({ err, integrationId: row.id }, `caller info: ${crm} lookup failed (${reason})`)
    return failed(reason)
  }
}

function callerRecord(row: IntegrationRow, crm: CrmSlug, r: CrmRecord): CallerRecord {
  return {
    integration_id: row.id,
    integration_name: row.name,
    crm,
    id: r.id,
    type: r.type,
    name: r.name,
    email: r.email,
    company: r.company ?? null,
    owner: r.owner ?? null,
    url: webLink(r.url),
  }
}

/** Only http(s) links reach an agent's app (never `javascript:`). */
function webLink(url: string | null): string | null {
  if (!url || url.length > 2048) return null
  try {
    const u = new URL(url)
    return u.protocol === 'https:' || u.protocol === 'http:' ? url : null
  } catch {
    return null
  }
}

/** Why a source gave nothing, in words an agent understands (never the internal message). */
function reasonOf(err: unknown): string {
  if (err instanceof DeadlineExceeded) return 'timed out'
  if (err instanceof NotConnectedError) return 'not connected'
  if (isConnectorError(err)) {
    switch (err.code) {
      case 'reauth':
        return 'needs reconnecting'
      case 'rate_limited':
        return 'rate limited by the CRM'
      case 'unavailable':
        return err.message.toLowerCase().includes('timed out') ? 'timed out' : 'unavailable'
      case 'forbidden':
        return 'permission denied by the CRM'
      default:
        return 'lookup failed'
    }
  }
  return 'lookup failed'
}

const recentCallsStatement = compiled((db: Queryable) =>
  db
    .select({
      id: calls.id,
      direction: calls.direction,
      startedAt: calls.startedAt,
      answeredAt: calls.answeredAt,
      endedAt: calls.endedAt,
      voicemail: calls.voicemailBlobId,
      firstName: users.firstName,
      lastName: users.lastName,
    })
    .from(calls)
    .leftJoin(users, and(eq(users.id, calls.userId), eq(users.companyId, calls.companyId)))
    .where(
      and(
        eq(calls.companyId, sql.placeholder('companyId')),
        eq(calls.externalNumber, sql.placeholder('e164')),
        isNotNull(calls.endedAt),
      ),
    )
    .orderBy(desc(calls.startedAt))
    .limit(5),
)

/** The company's last 5 ended calls with the number (index calls_company_external_started_idx). */
async function recentCalls(db: Database, companyId: number, e164: string): Promise<CallerRecentCall[]> {
  const rows = await recentCallsStatement(db, { companyId, e164 })
  return rows.map((r) => ({
    id: r.id,
    direction: r.direction,
    outcome: r.answeredAt
      ? 'answered'
      : r.direction === 'outbound'
        ? 'unanswered'
        : r.voicemail
          ? 'voicemail'
          : 'missed',
    started_at: Math.floor(r.startedAt.getTime() / 1000),
    duration:
      r.answeredAt && r.endedAt
        ? Math.max(0, Math.round((r.endedAt.getTime() - r.answeredAt.getTime()) / 1000))
        : 0,
    user_name: [r.firstName, r.lastName].filter(Boolean).join(' ') || null,
  }))
}

/**
 * The contact search's phone match (contact-service.ts phoneMatch) for a number already in
 * E.164, whose digits as stored are the number itself.
 */
const ownContactStatement = compiled((db: Queryable) => {
  const e164 = sql.placeholder('e164')
  const companyId = sql.placeholder('companyId')
  return db
    .select({ firstName: contacts.firstName, lastName: contacts.lastName, company: contacts.companyName })
    .from(contactPhoneNumbers)
    .innerJoin(contacts, eq(contacts.id, contactPhoneNumbers.contactId))
    .where(
      and(
        eq(contactPhoneNumbers.companyId, companyId),
        or(eq(contactPhoneNumbers.e164, e164), eq(contactPhoneNumbers.digits, e164)),
        eq(contacts.companyId, companyId),
        eq(contacts.isShared, true),
      ),
    )
    .orderBy(contacts.id)
    .limit(1)
})

/** The company's own (shared) contact with this number, the oldest first. */
async function ownContact(db: Database, companyId: number, e164: string) {
  const [row] = await ownContactStatement(db, { companyId, e164 })
  if (!row) return null
  return {
    name: [row.firstName, row.lastName].filter(Boolean).join(' ') || null,
    company: row.company || null,
  }
}
