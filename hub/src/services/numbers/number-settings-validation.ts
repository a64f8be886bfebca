import type { DestinationSetting, NumberSettings } from '@switchboard/shared'
import { isLocalStamp, isValidTimeZone, normalizePhone, validateWeeklySlots } from '@switchboard/shared'
import { and, eq, inArray, isNull } from 'drizzle-orm'
import { DomainError } from '../../core/errors.ts'
import type { Queryable } from '../../db/client.ts'
import { numberAudio, numbers, teams, users } from '../../db/schema/index.ts'
import { messagesFollowingVoicemail } from '../../telephony/number-defaults.ts'

export type SettingsProblem = { field: string; message: string }

type NumberKind = { id: number; type: 'classic' | 'ivr' }

/** Every destination of a document with the field that holds it (exceptions, IVR options, fallback). */
export function destinationSlots(
  settings: NumberSettings,
): { field: string; destination: DestinationSetting }[] {
  const slots: { field: string; destination: DestinationSetting }[] = []
  settings.business_hours.exceptions.forEach((ex, i) => {
    if (ex.destination)
      slots.push({ field: `business_hours.exceptions.${i}.destination`, destination: ex.destination })
  })
  settings.ivr.options.forEach((o, i) => {
    slots.push({ field: `ivr.options.${i}.destination`, destination: o.destination })
  })
  slots.push({ field: 'ivr.fallback', destination: settings.ivr.fallback })
  return slots
}

/**
 * Transfers to other numbers a call can really take: exceptional periods on any number, and
 * the IVR options and fallback of IVR numbers (a classic number keeps its IVR section for
 * when it is switched back, but never uses it).
 */
function numberEdges(number: NumberKind, settings: NumberSettings): { field: string; numberId: number }[] {
  return destinationSlots(settings)
    .filter((s) => number.type === 'ivr' || s.field.startsWith('business_hours.'))
    .flatMap((s) =>
      s.destination.type === 'number' ? [{ field: s.field, numberId: s.destination.number_id }] : [],
    )
}

// Intl accepts offsets ("+01:00") on newer engines; business hours need an IANA zone name.
const IANA_ZONE = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/

/**
 * Validates a whole settings document of one number against its company and returns it
 * normalised (external numbers in E.164, integration ids de-duplicated). Every problem is
 * reported (`details`); the first one names the field of the 400.
 *
 * Rules: IANA time zone; weekly slots well formed and not overlapping; exceptional periods
 * as local `YYYY-MM-DDTHH:MM` with end after start; every user, team, number and audio file
 * referenced exists in the company (a deleted user in a step is an error, not a silent
 * skip); a user or team is not both in a distribution step and outbound-only; external
 * numbers are valid phone numbers; IVR keys unique; no transfer chain leads
 * back to this number (IVR → number → … → same IVR); IVR numbers record outbound calls only.
 * Normalised too: default closed / unavailable texts follow the voicemail setting.
 * Shape and ranges (ring times 10–3600 s, keys 0–9, at most 10 options) are the zod schema's.
 */
export async function validateNumberSettings(
  db: Queryable,
  companyId: number,
  number: NumberKind,
  input: NumberSettings,
): Promise<NumberSettings> {
  const settings: NumberSettings = structuredClone(input)
  const problems: SettingsProblem[] = []
  const problem = (field: string, message: string) => problems.push({ field, message })

  const bh = settings.business_hours
  if (!IANA_ZONE.test(bh.time_zone) || !isValidTimeZone(bh.time_zone)) {
    problem('business_hours.time_zone', 'must be an IANA time zone such as Europe/Paris')
  }
  for (const p of validateWeeklySlots(bh.weekly)) problem(`business_hours.weekly.${p.path}`, p.message)
  bh.exceptions.forEach((ex, i) => {
    const at = `business_hours.exceptions.${i}`
    if (!isLocalStamp(ex.start)) problem(`${at}.start`, 'must be local time YYYY-MM-DDTHH:MM')
    else if (!isLocalStamp(ex.end)) problem(`${at}.end`, 'must be local time YYYY-MM-DDTHH:MM')
    else if (ex.end <= ex.start) problem(`${at}.end`, 'must be after start')
  })

  const seenKeys = new Map<string, number>()
  settings.ivr.options.forEach((o, i) => {
    const first = seenKeys.get(o.key)
    if (first !== undefined)
      problem(`ivr.options.${i}.key`, `key ${o.key} is already used by option ${first}`)
    else seenKeys.set(o.key, i)
  })
  if (number.type === 'ivr' && settings.recording.inbound.auto_start) {
    problem('recording.inbound.auto_start', 'IVR numbers record outbound calls only')
  }
  settings.linked_integrations = [...new Set(settings.linked_integrations)]

  // Outbound-only users and teams call out with the number and are never rung by it: the same
  // user or team in a distribution step contradicts that. (A user outbound-only here who is a
  // member of a team in a step is not refused: the team rings its members.)
  const stepOfUser = new Map<number, number>()
  const stepOfTeam = new Map<number, number>()
  settings.distribution.steps.forEach((step, i) => {
    if (step.type === 'user' && !stepOfUser.has(step.user_id)) stepOfUser.set(step.user_id, i)
    if (step.type === 'team' && !stepOfTeam.has(step.team_id)) stepOfTeam.set(step.team_id, i)
  })
  settings.outbound_only.user_ids.forEach((id, i) => {
    const step = stepOfUser.get(id)
    if (step !== undefined) {
      problem(
        `outbound_only.user_ids.${i}`,
        `user ${id} is also in distribution.steps.${step}; a user is either rung by the number or outbound-only`,
      )
    }
  })
  settings.outbound_only.team_ids.forEach((id, i) => {
    const step = stepOfTeam.get(id)
    if (step !== undefined) {
      problem(
        `outbound_only.team_ids.${i}`,
        `team ${id} is also in distribution.steps.${step}; a team is either rung by the number or outbound-only`,
      )
    }
  })

  // References to check against the company, each with the field to blame.
  const userRefs: { id: number; field: string }[] = []
  const teamRefs: { id: number; field: string }[] = []
  const numberRefs: { id: number; field: string }[] = []
  const audioRefs: { id: string; field: string }[] = []

  settings.distribution.steps.forEach((step, i) => {
    if (step.type === 'user') userRefs.push({ id: step.user_id, field: `distribution.steps.${i}.user_id` })
    else teamRefs.push({ id: step.team_id, field: `distribution.steps.${i}.team_id` })
  })
  settings.outbound_only.user_ids.forEach((id, i) => {
    userRefs.push({ id, field: `outbound_only.user_ids.${i}` })
  })
  settings.outbound_only.team_ids.forEach((id, i) => {
    teamRefs.push({ id, field: `outbound_only.team_ids.${i}` })
  })
  for (const { field, destination: d } of destinationSlots(settings)) {
    switch (d.type) {
      case 'user':
        userRefs.push({ id: d.user_id, field: `${field}.user_id` })
        break
      case 'team':
        teamRefs.push({ id: d.team_id, field: `${field}.team_id` })
        break
      case 'number':
        if (d.number_id === number.id)
          problem(`${field}.number_id`, 'a number cannot transfer to itself (loop)')
        else numberRefs.push({ id: d.number_id, field: `${field}.number_id` })
        break
      case 'external': {
        const phone = normalizePhone(d.phone_number)
        if (!phone) problem(`${field}.phone_number`, `"${d.phone_number}" is not a valid phone number`)
        else d.phone_number = phone.e164
        break
      }
    }
  }
  for (const key of [
    'welcome',
    'closed',
    'unavailable',
    'ivr_menu',
    'callback_confirmation',
    'music_on_hold',
  ] as const) {
    const m = settings.messages[key]
    if (m?.type === 'audio') audioRefs.push({ id: m.audio_id, field: `messages.${key}.audio_id` })
  }

  const distinct = <T>(refs: { id: T }[]) => [...new Set(refs.map((r) => r.id))]
  const userIds = distinct(userRefs)
  const teamIds = distinct(teamRefs)
  const audioIds = distinct(audioRefs)
  const [foundUsers, foundTeams, foundAudio, companyNumbers] = await Promise.all([
    userIds.length === 0
      ? []
      : db
          .select({ id: users.id })
          .from(users)
          .where(and(eq(users.companyId, companyId), inArray(users.id, userIds))),
    teamIds.length === 0
      ? []
      : db
          .select({ id: teams.id })
          .from(teams)
          .where(and(eq(teams.companyId, companyId), inArray(teams.id, teamIds))),
    audioIds.length === 0
      ? []
      : db
          .select({ id: numberAudio.id })
          .from(numberAudio)
          .where(and(eq(numberAudio.companyId, companyId), inArray(numberAudio.id, audioIds))),
    db
      .select({ id: numbers.id, type: numbers.type, settings: numbers.settings })
      .from(numbers)
      .where(and(eq(numbers.companyId, companyId), isNull(numbers.releasedAt))),
  ])
  const has = <T>(rows: { id: T }[]) => new Set(rows.map((r) => r.id))
  const knownUsers = has(foundUsers)
  const knownTeams = has(foundTeams)
  const knownAudio = has(foundAudio)
  for (const r of userRefs) if (!knownUsers.has(r.id)) problem(r.field, `user ${r.id} does not exist`)
  for (const r of teamRefs) if (!knownTeams.has(r.id)) problem(r.field, `team ${r.id} does not exist`)
  for (const r of audioRefs) if (!knownAudio.has(r.id)) problem(r.field, `audio ${r.id} does not exist`)

  const byId = new Map(companyNumbers.map((n) => [n.id, n]))
  for (const r of numberRefs) if (!byId.has(r.id)) problem(r.field, `number ${r.id} does not exist`)

  // Loops: follow the transfers of the other numbers as stored, this one as proposed.
  const edgesOf = (id: number) => {
    if (id === number.id) return numberEdges(number, settings)
    const other = byId.get(id)
    return other ? numberEdges(other, other.settings) : []
  }
  for (const edge of numberEdges(number, settings)) {
    if (edge.numberId === number.id || !byId.has(edge.numberId)) continue
    const path = findPathBack(edge.numberId, number.id, edgesOf)
    if (path) {
      problem(
        `${edge.field}.number_id`,
        `transfers loop back to this number (${[number.id, ...path].map((id) => `#${id}`).join(' → ')})`,
      )
    }
  }

  if (problems.length > 0) {
    const first = problems[0]!
    throw new DomainError('bad_request', `${first.field}: ${first.message}`, {
      field: first.field,
      details: problems,
    })
  }
  // Stored in key order (fields above name the option as the client sent them).
  settings.ivr.options.sort((a, b) => a.key.localeCompare(b.key))
  // Default closed / unavailable texts say "leave a message" only when voicemail is on.
  settings.messages = messagesFollowingVoicemail(settings)
  return settings
}

/** Depth-first walk from `start`; the path of numbers to `target` when one exists. */
function findPathBack(
  start: number,
  target: number,
  edgesOf: (id: number) => { numberId: number }[],
): number[] | null {
  const visited = new Set<number>()
  const walk = (id: number, path: number[]): number[] | null => {
    if (id === target) return path
    if (visited.has(id)) return null
    visited.add(id)
    for (const e of edgesOf(id)) {
      const found = walk(e.numberId, [...path, e.numberId])
      if (found) return found
    }
    return null
  }
  return walk(start, [start])
}
