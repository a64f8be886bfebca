import type { teams, users, WorkingHours } from '../../db/schema/index.ts'

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

const weekdays = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const

/**
 * Aircall's `available`: always for "available", never for "unavailable", and for "custom"
 * only inside the user's working hours, read in the user's own time zone.
 */
export function isAvailableNow(
  user: Pick<UserRow, 'availabilityStatus' | 'workingHours' | 'timeZone'>,
  now: Date,
) {
  if (user.availabilityStatus === 'available') return true
  if (user.availabilityStatus === 'unavailable' || !user.workingHours) return false
  let parts: Intl.DateTimeFormatPart[]
  try {
    parts = new Intl.DateTimeFormat('en-US', {
      timeZone: user.timeZone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    }).formatToParts(now)
  } catch {
    return false // an unknown time zone cannot be inside working hours
  }
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? ''
  const dayIndex = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(part('weekday'))
  const day = weekdays[dayIndex]
  if (!day) return false
  const time = `${part('hour')}:${part('minute')}`
  const slots: WorkingHours[typeof day] = user.workingHours[day] ?? []
  return slots.some((slot) => slot.from <= time && time < slot.to)
}

export function toTeamUser(base: string, user: UserRow, now: Date): TeamUserResource {
  return {
    id: user.id,
    direct_link: `${base}/v1/users/${user.id}`,
    name: `${user.firstName} ${user.lastName}`.trim(),
    email: user.email,
    available: isAvailableNow(user, now),
    availability_status: user.availabilityStatus,
    created_at: user.createdAt.toISOString(),
    time_zone: user.timeZone,
    language: user.language,
  }
}

export function toTeam(base: string, team: TeamRow, members: TeamUserResource[]): TeamResource {
  return {
    id: team.id,
    direct_link: `${base}/v1/teams/${team.id}`,
    name: team.name,
    created_at: team.createdAt.toISOString(),
    users: members,
  }
}
