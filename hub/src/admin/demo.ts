import { randomBytes } from 'node:crypto'
import { normalizePhone } from '@switchboard/shared'
import { eq } from 'drizzle-orm'
import { z } from 'zod'
import type { Actor } from '../core/actor.ts'
import { DomainError } from '../core/errors.ts'
import { createLinks } from '../core/links.ts'
import { createLogger } from '../core/logger.ts'
import { apiKeys, sandboxDevices } from '../db/schema/index.ts'
import type { Mailer } from '../mail/mailer.ts'
import { issueUserToken } from '../services/auth/user-tokens.ts'
import { createCompanyWithAdmin } from '../services/company/create-company.ts'
import type { ServiceContext } from '../services/context.ts'
import { createNumber, type NumberDeps } from '../services/numbers/number-provisioning.ts'
import { numberSettingsPatchSchema } from '../services/numbers/number-settings.ts'
import { patchNumberSettings } from '../services/numbers/number-settings-service.ts'
import { createTag } from '../services/tags/tag-service.ts'
import { addTeamMember, createTeam } from '../services/teams/team-service.ts'
import { createUser, setOwnPresence, updateUser } from '../services/users/user-service.ts'
import { type AdminDeps, parseAdminInput } from './operations.ts'

/**
 * `sb demo [--company <name>] [--json]`: a company ready to try, made through the same services
 * as the API (so every rule, default and outbox event applies):
 * - a classic number (US, no documents needed, so it is live at once) whose calls ring one
 *   agent, then the Sales team, then the Support team, then go to voicemail;
 * - an IVR number (GB, live at once too): 1 → Sales, 2 → Support, 3 → voicemail;
 * - two teams, three tags, and agents in each status: three available (the ones on simulated
 *   devices), one "auto" (working hours), one unavailable, one on do-not-disturb;
 * - the admin's login (email and a generated password), an API key and an agent token per
 *   agent, all shown once.
 * Demo agents are not mailed an invitation (their addresses are under the reserved .example
 * domain): they work through their agent tokens.
 */

export const demoInputSchema = z.object({
  company: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(200, 'must be at most 200 characters')
    .default('Demo Company'),
})

export type DemoDeps = AdminDeps

/** A simulated device of the sandbox carrier: answers after N s, hangs up after M s. */
export type SimulatedDevice = { answer_after_sec: number; talk_sec: number }

/** How the simulated devices of the available agents answer: after 3 s, then talk 20 s. */
export const DEMO_DEVICE: SimulatedDevice = {
  answer_after_sec: 3,
  talk_sec: 20,
}

type DemoAgent = {
  first: string
  last: string
  teams: ('sales' | 'support')[]
  status: 'available' | 'custom' | 'unavailable' | 'do_not_disturb'
}
const AGENTS: DemoAgent[] = [
  { first: 'Alice', last: 'Martin', teams: ['sales'], status: 'available' },
  { first: 'Bruno', last: 'Costa', teams: ['support'], status: 'available' },
  { first: 'Chloé', last: 'Dubois', teams: ['sales', 'support'], status: 'available' },
  { first: 'Dmitri', last: 'Ivanov', teams: ['support'], status: 'custom' },
  { first: 'Emma', last: 'Rossi', teams: ['sales'], status: 'unavailable' },
  { first: 'Farid', last: 'Haddad', teams: ['support'], status: 'do_not_disturb' },
]

const TAGS = [
  { name: 'Hot lead', color: '#E17055', description: 'Ready to buy' },
  { name: 'Support issue', color: '#0984E3', description: 'A customer needs help' },
  { name: 'Billing', color: '#00B894', description: 'Invoices and payments' },
]

export type DemoResult = {
  company_id: number
  company_name: string
  admin: { user_id: number; email: string; password: string }
  api_key: { api_id: string; api_token: string }
  numbers: {
    id: number
    name: string
    type: 'classic' | 'ivr'
    e164: string
    digits: string
    routing: string
  }[]
  teams: { id: number; name: string }[]
  tags: { id: number; name: string }[]
  agents: {
    user_id: number
    name: string
    email: string
    extension: string | null
    status: DemoAgent['status']
    teams: string[]
    agent_token: string
    simulated_device: boolean
  }[]
  /** Users to put on simulated devices (the available agents), with how their device answers. */
  simulated_devices: { user_ids: number[]; device: SimulatedDevice }
}

/** A mailer that sends nothing: demo users are never invited by mail. */
const noMail: Mailer = { send: async () => {} }

export async function runDemo(deps: DemoDeps, input: unknown): Promise<DemoResult> {
  const { company: companyName } = parseAdminInput(demoInputSchema, input ?? {})
  if (!deps.carrier) throw new DomainError('unavailable', 'this hub has no carrier to provision numbers with')
  const password = randomBytes(12).toString('base64url')
  // An address of its own per demo: sign-in checks at most 5 companies' accounts of one email.
  const adminEmail = `admin-${randomBytes(3).toString('hex')}@demo.example`
  const setup = await createCompanyWithAdmin(deps.db, deps.clock, {
    company: companyName,
    email: adminEmail,
    password,
    firstName: 'Ada',
    lastName: 'Admin',
  })
  const companyId = setup.company_id
  const [key] = await deps.db.select({ id: apiKeys.id }).from(apiKeys).where(eq(apiKeys.apiId, setup.api_id))
  const links = createLinks(deps.publicUrl())
  const asKey: Actor = { type: 'api_key', companyId, apiKeyId: key!.id }
  const ctx: ServiceContext = { db: deps.db, companyId, actor: asKey, clock: deps.clock, links }
  const logger = deps.logger ?? createLogger('silent')
  const mail = { mailer: noMail, env: { INVITATION_TTL_HOURS: 72 }, log: logger, mailLinks: links }
  const numberDeps: NumberDeps = { carrier: deps.carrier, queue: await deps.queue(), logger }

  const sales = await createTeam(ctx, 'Sales')
  const support = await createTeam(ctx, 'Support')
  const teamOf = { sales, support }

  const tags = []
  for (const t of TAGS) tags.push(await createTag(ctx, t))

  const agents: DemoResult['agents'] = []
  for (const a of AGENTS) {
    const email = `${a.first.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase()}@demo.example`
    const user = await createUser(
      ctx,
      {
        email,
        first_name: a.first,
        last_name: a.last,
        availability_status: a.status === 'do_not_disturb' ? 'available' : a.status,
        time_zone: 'Europe/Paris',
        language: 'en-US',
      },
      mail,
    )
    for (const t of a.teams) await addTeamMember(ctx, teamOf[t].id, user.id)
    const token = await issueUserToken(deps.db, deps.clock, {
      companyId,
      userId: user.id,
      kind: 'agent',
      name: 'sb demo',
    })
    // The live state an agent's app would set: present for the available ones, DND for one.
    const asAgent: ServiceContext = {
      ...ctx,
      actor: {
        type: 'user',
        companyId,
        userId: user.id,
        role: 'agent',
        tokenId: token.row.id,
        tokenKind: 'agent',
      },
    }
    if (a.status === 'do_not_disturb') await setOwnPresence(asAgent, 'do_not_disturb')
    else if (a.status === 'available') await setOwnPresence(asAgent, 'available')
    agents.push({
      user_id: user.id,
      name: `${a.first} ${a.last}`,
      email,
      extension: user.extension ?? null,
      status: a.status,
      teams: a.teams.map((t) => teamOf[t].name),
      agent_token: token.token,
      simulated_device: a.status === 'available',
    })
  }
  const alice = agents[0]!

  const classic = await createNumber(ctx, numberDeps, {
    type: 'classic',
    country: 'US',
    area: '415',
    name: 'Sales line',
  })
  await patchNumberSettings(
    ctx,
    numberDeps,
    classic.id,
    numberSettingsPatchSchema.parse({
      distribution: {
        steps: [
          { type: 'user', user_id: alice.user_id, ring_time_sec: 20 },
          { type: 'team', team_id: sales.id, ring_time_sec: 25, strategy: 'simultaneous' },
          { type: 'team', team_id: support.id, ring_time_sec: 30, strategy: 'longest_idle' },
        ],
      },
    }),
  )

  const ivr = await createNumber(ctx, numberDeps, {
    type: 'ivr',
    country: 'GB',
    area: '20',
    name: 'Support line',
  })
  await patchNumberSettings(
    ctx,
    numberDeps,
    ivr.id,
    numberSettingsPatchSchema.parse({
      messages: {
        ivr_menu: {
          type: 'tts',
          text: 'Press 1 for sales, 2 for support, or 3 to leave us a message.',
          language: 'en-GB',
          voice: 'female',
        },
      },
      ivr: {
        options: [
          { key: '1', destination: { type: 'team', team_id: sales.id, ring_time_sec: 30 } },
          { key: '2', destination: { type: 'team', team_id: support.id, ring_time_sec: 30 } },
          { key: '3', destination: { type: 'voicemail' } },
        ],
        fallback: { type: 'voicemail' },
      },
    }),
  )
  // Click-to-call goes out through the agent's default number: the classic one routes to them.
  for (const a of agents.filter((x) => x.simulated_device))
    await updateUser(ctx, String(a.user_id), { default_number_id: classic.id }, mail)
  // The available agents answer on simulated devices of the sandbox carrier: they are online
  // and take calls with no client open. A new company has no call waiting to be nudged.
  const onDevices = agents.filter((x) => x.simulated_device)
  if (onDevices.length > 0) {
    await deps.db.insert(sandboxDevices).values(
      onDevices.map((a) => ({
        companyId,
        userId: a.user_id,
        answerAfterSec: DEMO_DEVICE.answer_after_sec,
        talkSec: DEMO_DEVICE.talk_sec,
      })),
    )
  }

  const display = (e164: string) => normalizePhone(e164)?.international ?? e164
  return {
    company_id: companyId,
    company_name: companyName,
    admin: { user_id: setup.user_id, email: adminEmail, password },
    api_key: { api_id: setup.api_id, api_token: setup.api_token },
    numbers: [
      {
        id: classic.id,
        name: classic.name,
        type: 'classic',
        e164: classic.e164_digits,
        digits: display(classic.e164_digits),
        routing: `${alice.name} 20 s → team Sales 25 s (simultaneous) → team Support 30 s (longest idle) → voicemail`,
      },
      {
        id: ivr.id,
        name: ivr.name,
        type: 'ivr',
        e164: ivr.e164_digits,
        digits: display(ivr.e164_digits),
        routing: 'IVR: 1 → team Sales, 2 → team Support, 3 → voicemail (no choice: voicemail)',
      },
    ],
    teams: [sales, support].map((t) => ({ id: t.id, name: t.name })),
    tags: tags.map((t) => ({ id: t.id, name: t.name })),
    agents,
    simulated_devices: {
      user_ids: agents.filter((a) => a.simulated_device).map((a) => a.user_id),
      device: DEMO_DEVICE,
    },
  }
}
