import { normalizePhone } from '@switchboard/shared'
import { and, eq, isNull } from 'drizzle-orm'
import { DomainError } from '../../core/errors.ts'
import { type PaginationQuery, pageWindow } from '../../core/pagination.ts'
import { timeRange } from '../../db/list-query.ts'
import { numbers } from '../../db/schema/index.ts'
import { findCountry } from '../../telephony/country-rules.ts'
import type { ServiceContext } from '../context.ts'
import { findNumber, hydrateNumber, hydrateNumbers } from './number-hydrate.ts'
import type { NumberJson } from './number-json.ts'
import type { NumberRow } from './number-rules.ts'

/** Reading numbers: the list (sorted, filtered to what the caller may see), one number, its settings. */

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
 * server's own elsewhere), so the list is sorted here, the same way on every driver. At base
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

/** Lower case, without accents: "Échange" and "echange" are the same search. */
const folded = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()

/**
 * The dashboard's search bar: a number matches when its name contains the words typed (case and
 * accents aside), or its digits contain the digits typed, whatever the format ("+44 20 7946",
 * "020 7946", "7946"): a national form's leading 0 stands for the country code.
 */
export function numberMatches(row: Pick<NumberRow, 'name' | 'e164'>, search: string): boolean {
  const text = folded(search.trim())
  if (text === '') return true
  if (folded(row.name).includes(text)) return true
  const digits = search.replace(/\D/g, '')
  if (digits.length === 0 || /[^\d\s+().-]/.test(search.trim())) return false
  const international = row.e164.slice(1)
  if (international.includes(digits)) return true
  const national = normalizePhone(row.e164)?.national.replace(/\D/g, '') ?? ''
  return national.includes(digits)
}

async function visibleNumbers(
  ctx: ServiceContext,
  q?: PaginationQuery,
  search?: string,
): Promise<NumberJson[]> {
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
  const found = search ? rows.filter((row) => numberMatches(row, search)) : rows
  found.sort((a, b) => sign * compareNumbersByName(a, b))
  const all = await hydrateNumbers(ctx.db, ctx.companyId, ctx.links, ctx.clock.now(), found)
  return all.filter(visibleTo(ctx))
}

/**
 * GET /v1/numbers: sorted by country name then name, each with `open` computed at clock.now();
 * `search` keeps the numbers whose name or digits match (numberMatches).
 */
export async function listNumbers(ctx: ServiceContext, q: PaginationQuery & { search?: string }) {
  const { offset, limit } = pageWindow(q)
  const all = await visibleNumbers(ctx, q, q.search)
  return { numbers: all.slice(offset, offset + limit), total: all.length }
}

/** The dashboard's list: numbers grouped by country, country names and number names in order. */
export async function listNumbersByCountry(ctx: ServiceContext, search?: string) {
  const groups: { country: string; name: string; numbers: NumberJson[] }[] = []
  for (const n of await visibleNumbers(ctx, undefined, search)) {
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
