import { normalizePhone } from '@switchboard/shared'
import { and, eq, isNull } from 'drizzle-orm'
import { badRequest } from '../../core/errors.ts'
import { numberAudio, numbers, teamMembers, teams, users } from '../../db/schema/index.ts'
import { toRoutingConfig } from '../../telephony/number-config.ts'
import {
  agentPresence,
  type PreviewPresence,
  type PreviewResult,
  previewCall,
} from '../../telephony/preview.ts'
import type { AgentPresence } from '../../telephony/routing-types.ts'
import { isBlacklisted } from '../blacklist/blacklist-service.ts'
import type { ServiceContext } from '../context.ts'
import { withinWorkingHours } from '../users/availability.ts'
import { fullName } from '../users/user-json.ts'
import { findNumber } from './number-hydrate.ts'
import { displayDigits } from './number-json.ts'

export type PreviewRequest = {
  from: string
  /** ISO 8601, or UNIX seconds; default now. */
  at?: string | number
  digits?: string
  presence?: Record<string, PreviewPresence>
}

function parseAt(at: string | number | undefined, now: Date): number {
  if (at === undefined) return now.getTime()
  if (typeof at === 'number' || /^\d+$/.test(at)) return Number(at) * 1000
  // Date.parse would read "2026-03-02T10:00" as local time: require an offset or Z.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(at)) {
    throw badRequest('at', 'must be ISO 8601 with a time zone (2026-03-02T10:00:00Z) or UNIX seconds')
  }
  const ms = Date.parse(at)
  if (Number.isNaN(ms)) throw badRequest('at', 'not a valid instant')
  return ms
}

/**
 * Presence a user gets when the request does not say: what their availability setting
 * means at that instant (available; Auto inside / outside their working hours; unavailable).
 * Live state (connected apps, calls) is ignored: a preview is about the configuration.
 */
function defaultPresence(u: typeof users.$inferSelect, at: Date): PreviewPresence {
  switch (u.availabilityStatus) {
    case 'available':
      return 'available'
    case 'unavailable':
      return 'unavailable'
    case 'custom':
      return withinWorkingHours(u.workingHours, u.timeZone, at) ? 'auto_in_hours' : 'auto_out_of_hours'
  }
}

/** POST /v1/numbers/:id/preview: the path a call from `from` at `at` would take, step by step. */
export async function previewNumber(
  ctx: ServiceContext,
  id: number,
  request: PreviewRequest,
): Promise<PreviewResult> {
  const number = await findNumber(ctx.db, ctx.companyId, id)
  const caller = normalizePhone(request.from, number.country)
  if (!caller) throw badRequest('from', `"${request.from}" is not a valid phone number`)
  const at = parseAt(request.at, ctx.clock.now())

  const [userRows, teamRows, memberRows, numberRows, audioRows, blacklisted] = await Promise.all([
    ctx.db.select().from(users).where(eq(users.companyId, ctx.companyId)),
    ctx.db.select({ id: teams.id, name: teams.name }).from(teams).where(eq(teams.companyId, ctx.companyId)),
    ctx.db
      .select({ teamId: teamMembers.teamId, userId: teamMembers.userId })
      .from(teamMembers)
      .where(eq(teamMembers.companyId, ctx.companyId))
      .orderBy(teamMembers.createdAt, teamMembers.userId),
    ctx.db
      .select()
      .from(numbers)
      .where(and(eq(numbers.companyId, ctx.companyId), isNull(numbers.releasedAt))),
    ctx.db
      .select({ id: numberAudio.id, name: numberAudio.name, durationMs: numberAudio.durationMs })
      .from(numberAudio)
      .where(eq(numberAudio.companyId, ctx.companyId)),
    isBlacklisted(ctx, caller.e164),
  ])

  const known = new Set(userRows.map((u) => u.id))
  const given = new Map<number, PreviewPresence>()
  for (const [key, value] of Object.entries(request.presence ?? {})) {
    const userId = Number(key)
    if (!Number.isInteger(userId) || !known.has(userId))
      throw badRequest(`presence.${key}`, `user ${key} does not exist`)
    given.set(userId, value)
  }
  const atDate = new Date(at)
  const presence = new Map<number, PreviewPresence>(
    userRows.map((u) => [u.id, given.get(u.id) ?? defaultPresence(u, atDate)]),
  )
  const teamsMap = new Map<number, number[]>(teamRows.map((t) => [t.id, []]))
  for (const m of memberRows) teamsMap.get(m.teamId)?.push(m.userId)

  return previewCall({
    numberId: number.id,
    configs: new Map(numberRows.map((n) => [n.id, toRoutingConfig(n, n.settings)])),
    world: {
      teams: teamsMap,
      presence: new Map<number, AgentPresence>([...presence].map(([uid, p]) => [uid, agentPresence(p)])),
      callerBlacklisted: blacklisted,
    },
    presence,
    at,
    digits: request.digits ?? '',
    names: {
      users: new Map(userRows.map((u) => [u.id, fullName(u) || u.email])),
      teams: new Map(teamRows.map((t) => [t.id, t.name])),
      numbers: new Map(numberRows.map((n) => [n.id, `"${n.name}" (${displayDigits(n.e164)})`])),
      audio: new Map(audioRows.map((a) => [a.id, { name: a.name, durationMs: a.durationMs }])),
    },
  })
}
