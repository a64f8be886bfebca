import { withinWorkingHours } from '@switchboard/shared'
import { and, type Column, eq, isNull, sql, type Table } from 'drizzle-orm'
import type { Queryable } from '../db/client.ts'
import {
  blacklistedNumbers,
  numberAudio,
  numbers,
  routingVersions,
  teamMembers,
  teams,
  users,
} from '../db/schema/index.ts'
import { toRoutingConfig } from './number-config.ts'
import type { RoutingConfig } from './routing-types.ts'

/**
 * Everything a call to one of a company's numbers is routed against, loaded in one go: the
 * routing of every live number of the company (a transfer to another number continues there),
 * its users with their availability settings, its teams and their members in the order they
 * joined, the audio files prompts may play, and whether the caller is blacklisted. The routing
 * preview walks a call through it; the call engine builds its RoutingWorld from it.
 * Every query is scoped by the company.
 */
export type CallWorld = {
  configs: ReadonlyMap<number, RoutingConfig>
  numbers: ReadonlyMap<
    number,
    Pick<typeof numbers.$inferSelect, 'name' | 'e164' | 'country' | 'timeZone' | 'settings'>
  >
  users: readonly WorldUser[]
  /** Team id → member user ids, in the order they joined (sequential strategies ring in it). */
  teams: ReadonlyMap<number, readonly number[]>
  teamNames: ReadonlyMap<number, string>
  audio: ReadonlyMap<string, { name: string; durationMs: number | null }>
  callerBlacklisted: boolean
}

export type WorldUser = Pick<
  typeof users.$inferSelect,
  | 'id'
  | 'firstName'
  | 'lastName'
  | 'email'
  | 'availabilityStatus'
  | 'workingHours'
  | 'timeZone'
  | 'presence'
  | 'doNotDisturb'
  | 'wrapUpTime'
  | 'forwardingNumbers'
  | 'callerIdNumberId'
>

const worldUserColumns = {
  id: users.id,
  firstName: users.firstName,
  lastName: users.lastName,
  email: users.email,
  availabilityStatus: users.availabilityStatus,
  workingHours: users.workingHours,
  timeZone: users.timeZone,
  presence: users.presence,
  doNotDisturb: users.doNotDisturb,
  wrapUpTime: users.wrapUpTime,
  forwardingNumbers: users.forwardingNumbers,
  callerIdNumberId: users.callerIdNumberId,
}

export async function loadCallWorld(
  db: Queryable,
  companyId: number,
  callerE164: string,
): Promise<CallWorld> {
  const [userRows, teamRows, memberRows, numberRows, audioRows, blacklisted] = await Promise.all([
    db.select(worldUserColumns).from(users).where(eq(users.companyId, companyId)),
    db.select({ id: teams.id, name: teams.name }).from(teams).where(eq(teams.companyId, companyId)),
    db
      .select({ teamId: teamMembers.teamId, userId: teamMembers.userId })
      .from(teamMembers)
      .where(eq(teamMembers.companyId, companyId))
      .orderBy(teamMembers.createdAt, teamMembers.userId),
    db
      .select()
      .from(numbers)
      .where(and(eq(numbers.companyId, companyId), isNull(numbers.releasedAt))),
    db
      .select({ id: numberAudio.id, name: numberAudio.name, durationMs: numberAudio.durationMs })
      .from(numberAudio)
      .where(eq(numberAudio.companyId, companyId)),
    isBlacklisted(db, companyId, callerE164),
  ])
  const members = new Map<number, number[]>(teamRows.map((t) => [t.id, []]))
  for (const m of memberRows) members.get(m.teamId)?.push(m.userId)
  return {
    configs: new Map(numberRows.map((n) => [n.id, toRoutingConfig(n, n.settings)])),
    numbers: new Map(numberRows.map((n) => [n.id, n])),
    users: userRows,
    teams: members,
    teamNames: new Map(teamRows.map((t) => [t.id, t.name])),
    audio: new Map(audioRows.map((a) => [a.id, { name: a.name, durationMs: a.durationMs }])),
    callerBlacklisted: blacklisted,
  }
}

/**
 * Each company's routing world, kept in memory by a process with the routing version it was
 * loaded at (routing_versions, bumped by the database at the commit of any write to the tables
 * it is made of). Without the caller's blacklisting, which is per call. At most `maxCompanies`,
 * the least recently used going first.
 */
export type WorldCache = {
  readonly entries: Map<number, { version: number; world: CallWorld }>
  readonly maxCompanies: number
}

export function createWorldCache(maxCompanies = 500): WorldCache {
  return { entries: new Map(), maxCompanies }
}

/**
 * loadCallWorld through the cache: one small read (the company's routing version, and the
 * blacklist when asked) instead of the company's users, teams, members, numbers and audio,
 * unless something of them changed since. The version is read first, so a world is never
 * labelled newer than what it holds (a change committed in between only costs a reload).
 */
export async function cachedCallWorld(
  db: Queryable,
  cache: WorldCache,
  companyId: number,
  callerE164: string,
  /**
   * `version`: the company's routing version when the caller read it already in this
   * transaction; `blacklisted`: whether the caller is, when the caller knows it already.
   */
  options: { blacklist: boolean; version?: number; blacklisted?: boolean },
): Promise<CallWorld> {
  const blacklisted =
    options.blacklisted !== undefined || !options.blacklist
      ? Promise.resolve(options.blacklisted ?? false)
      : isBlacklisted(db, companyId, callerE164)
  const version = options.version ?? (await routingVersionOf(db, companyId))
  let entry = cache.entries.get(companyId)
  if (entry?.version === version) {
    // Most recently used last: the first entry is the one to evict.
    cache.entries.delete(companyId)
    cache.entries.set(companyId, entry)
  } else {
    entry = { version, world: await loadCallWorld(db, companyId, callerE164) }
    cache.entries.delete(companyId)
    cache.entries.set(companyId, entry)
    while (cache.entries.size > cache.maxCompanies) {
      cache.entries.delete(cache.entries.keys().next().value!)
    }
  }
  return { ...entry.world, callerBlacklisted: await blacklisted }
}

/** The company's routing version (0 before its first routing change). */
export async function routingVersionOf(db: Queryable, companyId: number): Promise<number> {
  const [row] = await db
    .select({ version: routingVersions.version })
    .from(routingVersions)
    .where(eq(routingVersions.companyId, companyId))
  return row?.version ?? 0
}

/**
 * The same as a column of a query on `table`, one of the company's rows (`companyId`: its
 * column). Written out with the table's name: drizzle leaves a single table's columns
 * unqualified, which the subquery would read as its own.
 */
export const routingVersionColumn = (table: Table, companyId: Column) =>
  sql<number>`coalesce((select rv.version from ${routingVersions} rv where rv.company_id = ${table}.${sql.identifier(companyId.name)}), 0)`.mapWith(
    Number,
  )

export const isBlacklisted = (db: Queryable, companyId: number, callerE164: string) =>
  db
    .select({ id: blacklistedNumbers.id })
    .from(blacklistedNumbers)
    .where(and(eq(blacklistedNumbers.companyId, companyId), eq(blacklistedNumbers.e164, callerE164)))
    .limit(1)
    .then((r) => r.length > 0)

/**
 * What a user's availability setting means at `at`, live state aside: available, Auto inside
 * or outside their working hours (in their time zone), or unavailable.
 */
export function settingAvailability(
  user: Pick<WorldUser, 'availabilityStatus' | 'workingHours' | 'timeZone'>,
  at: Date,
): 'available' | 'auto_in_hours' | 'auto_out_of_hours' | 'unavailable' {
  switch (user.availabilityStatus) {
    case 'available':
      return 'available'
    case 'unavailable':
      return 'unavailable'
    case 'custom':
      return withinWorkingHours(user.workingHours, user.timeZone, at) ? 'auto_in_hours' : 'auto_out_of_hours'
  }
}
