import { asc, eq } from 'drizzle-orm'
import { teams, users } from '../../db/schema/index.ts'
import type { ServiceContext } from '../context.ts'
import type { LiveAvailability } from './user-fields.ts'
import { fullName } from './user-json.ts'
import { availabilitiesOf } from './user-service.ts'

/** At most this many colleagues and teams: a transfer picker, not an export. */
export const DIRECTORY_LIMIT = 1000

export type Directory = {
  users: { id: number; name: string; availability: LiveAvailability }[]
  teams: { id: number; name: string }[]
}

/**
 * Who a signed-in user (an agent included) may transfer a call to: their company's users with
 * their live availability, and its teams, by name. Only names and ids: the admin API
 * (`GET /v1/users`, `GET /v1/teams`) keeps emails, numbers and settings for admins.
 */
export async function colleagueDirectory(ctx: ServiceContext): Promise<Directory> {
  const [userRows, teamRows] = await Promise.all([
    ctx.db
      .select()
      .from(users)
      .where(eq(users.companyId, ctx.companyId))
      .orderBy(asc(users.firstName), asc(users.lastName), asc(users.id))
      .limit(DIRECTORY_LIMIT),
    ctx.db
      .select({ id: teams.id, name: teams.name })
      .from(teams)
      .where(eq(teams.companyId, ctx.companyId))
      .orderBy(asc(teams.name), asc(teams.id))
      .limit(DIRECTORY_LIMIT),
  ])
  const availability = await availabilitiesOf(ctx, userRows)
  return {
    users: userRows.map((u) => ({ id: u.id, name: fullName(u), availability: availability.get(u.id)! })),
    teams: teamRows,
  }
}
