import { and, eq } from 'drizzle-orm'
import { expect } from 'vitest'
import type { TestCompany, TestHub } from '../../../../test/helpers/hub.ts'
import { outbox, teamMembers, teams, users } from '../../../db/schema/index.ts'

/** Test data for the numbers tests: users and teams are written directly, numbers through the API. */

let seq = 0

export async function addUser(
  hub: TestHub,
  company: TestCompany,
  fields: { first: string; last?: string; availability?: 'available' | 'custom' | 'unavailable' },
): Promise<number> {
  const [row] = await hub.db
    .insert(users)
    .values({
      companyId: company.id,
      email: `${fields.first.toLowerCase()}-${Date.now().toString(36)}-${++seq}@example.test`,
      firstName: fields.first,
      lastName: fields.last ?? 'Test',
      availabilityStatus: fields.availability ?? 'available',
    })
    .returning({ id: users.id })
  return row!.id
}

export async function addTeam(
  hub: TestHub,
  company: TestCompany,
  name: string,
  memberIds: number[],
): Promise<number> {
  const [team] = await hub.db
    .insert(teams)
    .values({ companyId: company.id, name: `${name}` })
    .returning({ id: teams.id })
  for (const userId of memberIds) {
    await hub.db.insert(teamMembers).values({ companyId: company.id, teamId: team!.id, userId })
  }
  return team!.id
}

export async function createNumber(
  hub: TestHub,
  company: TestCompany,
  body: Record<string, unknown> = {},
): Promise<{ id: number; e164_digits: string; settings: Record<string, unknown> } & Record<string, unknown>> {
  const res = await hub.call('POST', '/v1/numbers', {
    auth: company.basic,
    body: { type: 'classic', country: 'GB', area: '20', name: `Line ${++seq}`, ...body },
  })
  expect(res.status, JSON.stringify(res.body)).toBe(201)
  return res.body.number
}

export async function eventsOf(hub: TestHub, companyId: number, event: string) {
  return hub.db
    .select()
    .from(outbox)
    .where(and(eq(outbox.companyId, companyId), eq(outbox.event, event)))
}

const noIds = (): number[] => []

/** A settings document touching every section (classic number, Paris hours, three steps). */
export function fullSettings(ids: { alice: number; bob: number; support: number }) {
  return {
    business_hours: {
      time_zone: 'Europe/Paris',
      mode: 'custom',
      weekly: {
        monday: [
          { from: '09:00', to: '12:30' },
          { from: '14:00', to: '18:00' },
        ],
        tuesday: [{ from: '09:00', to: '18:00' }],
        wednesday: [{ from: '09:00', to: '18:00' }],
        thursday: [{ from: '09:00', to: '18:00' }],
        friday: [{ from: '09:00', to: '17:00' }],
      },
      exceptions: [
        { name: 'Christmas', start: '2026-12-24T18:00', end: '2026-12-27T00:00', destination: null },
      ],
    },
    messages: {
      welcome: { type: 'tts', text: 'Welcome to Acme', language: 'en-GB', voice: 'male' },
      closed: { type: 'tts', text: 'We are closed', language: 'en-GB' },
      unavailable: null,
      ivr_menu: null,
      callback_confirmation: null,
      music_on_hold: { type: 'library', track: 'jazz' },
    },
    voicemail_enabled: true,
    distribution: {
      steps: [
        { type: 'user', user_id: ids.alice, ring_time_sec: 30 },
        { type: 'team', team_id: ids.support, strategy: 'longest_idle' },
        { type: 'user', user_id: ids.bob },
      ],
      respect_queue_time: true,
      max_queue_time_sec: 600,
    },
    outbound_only: { user_ids: noIds(), team_ids: noIds() },
    ivr: { options: [], fallback: { type: 'voicemail' }, timeout_sec: 5 },
    recording: {
      inbound: { auto_start: true, allow_pause_resume: false },
      outbound: { auto_start: false, allow_pause_resume: true },
    },
    callback_on_star: true,
    mandatory_tagging: true,
    linked_integrations: [3, 3, 7],
  }
}
