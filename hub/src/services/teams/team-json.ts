import type { Links } from '../../core/links.ts'
import type { teams, users } from '../../db/schema/index.ts'
import { isAvailableNow } from '../users/availability.ts'

type UserRow = typeof users.$inferSelect
type TeamRow = typeof teams.$inferSelect

/** A User as Aircall nests it in a Team (the users service owns the full User object). */
export type TeamUserResource = {
  id: number
  direct_link: string
  name: string
  email: string
  available: boolean
  availability_status: UserRow['availabilityStatus']
  created_at: string
  time_zone: string
  language: string
}

export type TeamResource = {
  id: number
  direct_link: string
  name: string
  created_at: string
  users: TeamUserResource[]
}

/** `available` is computed as on the User object itself (users/availability.ts), so both agree. */
export function toTeamUserJson(user: UserRow, now: Date, links: Links): TeamUserResource {
  return {
    id: user.id,
    direct_link: links.user(user.id),
    name: `${user.firstName} ${user.lastName}`.trim(),
    email: user.email,
    available: isAvailableNow(user, now),
    availability_status: user.availabilityStatus,
    created_at: user.createdAt.toISOString(),
    time_zone: user.timeZone,
    language: user.language,
  }
}

export function toTeamJson(team: TeamRow, members: TeamUserResource[], links: Links): TeamResource {
  return {
    id: team.id,
    direct_link: links.team(team.id),
    name: team.name,
    created_at: team.createdAt.toISOString(),
    users: members,
  }
}
