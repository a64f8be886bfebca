import type { numbers } from '../../db/schema/index.ts'

/**
 * Business rules read off a number row: who may use it, whether its IVR is usable, whether its
 * calls are recorded. number-json.ts shapes rows for the API with them; the users' profiles
 * (caller ID, default number) and the routing references use the assignment too.
 */

export type NumberRow = typeof numbers.$inferSelect

/** The user ids that may use the number, in routing order: distribution first, then outbound-only. */
export function assignedUserIds(
  row: Pick<NumberRow, 'type' | 'settings'>,
  teamMembers: ReadonlyMap<number, number[]>,
) {
  const ids: number[] = []
  const add = (id: number) => {
    if (!ids.includes(id)) ids.push(id)
  }
  if (row.type === 'classic') {
    for (const step of row.settings.distribution.steps) {
      if (step.type === 'user') add(step.user_id)
      else for (const id of teamMembers.get(step.team_id) ?? []) add(id)
    }
  }
  for (const id of row.settings.outbound_only.user_ids) add(id)
  for (const teamId of row.settings.outbound_only.team_ids)
    for (const id of teamMembers.get(teamId) ?? []) add(id)
  return ids
}

/** Teams whose members count as assigned to the number. */
export function assignedTeamIds(row: Pick<NumberRow, 'type' | 'settings'>): number[] {
  const ids = new Set<number>(row.settings.outbound_only.team_ids)
  if (row.type === 'classic') {
    for (const step of row.settings.distribution.steps) if (step.type === 'team') ids.add(step.team_id)
  }
  return [...ids]
}

/** `ivr_status`: the dashboard's red banner "Votre SVI est actuellement vide". */
export function ivrStatus(row: Pick<NumberRow, 'type' | 'settings'>): 'empty' | 'ok' | null {
  if (row.type !== 'ivr') return null
  return row.settings.ivr.options.length === 0 ? 'empty' : 'ok'
}

/** Calls are recorded from their start: outbound ones, and inbound ones on a classic number. */
export function recordsCalls(row: Pick<NumberRow, 'type' | 'settings'>): boolean {
  const { inbound, outbound } = row.settings.recording
  return outbound.auto_start || (row.type === 'classic' && inbound.auto_start)
}
