/**
 * The call benchmark's company, made in the benchmark's own process with the operator layer's
 * database access (`sb`'s admin target: DATA_DIR's lock and its embedded PostgreSQL, or
 * DATABASE_URL) while no hub runs, and through the same services `sb demo` uses: users, a team,
 * a number whose distribution rings that team, and one agent token per agent (issueUserToken,
 * as `sb demo` mints its agents' tokens). The product gets no new way to mint tokens: the API's
 * own way (invitation → password → session → POST /v1/me/agent_tokens) would cost one
 * password hash per agent and run into the sign-in throttles, which is not what this measures.
 */
import { and, eq, gte, inArray, sql } from 'drizzle-orm'
import type { AdminDeps } from '../../src/admin/operations.ts'
import { type AdminTarget, openAdminTarget } from '../../src/cli/admin-target.ts'
import type { Actor } from '../../src/core/actor.ts'
import { createLinks } from '../../src/core/links.ts'
import { createLogger } from '../../src/core/logger.ts'
import { rowsOf } from '../../src/db/client.ts'
import { apiKeys, calls, outbox } from '../../src/db/schema/index.ts'
import { parseEnv } from '../../src/env.ts'
import type { Mailer } from '../../src/mail/mailer.ts'
import { issueUserToken } from '../../src/services/auth/user-tokens.ts'
import type { ServiceContext } from '../../src/services/context.ts'
import { createNumber } from '../../src/services/numbers/number-provisioning.ts'
import { numberSettingsPatchSchema } from '../../src/services/numbers/number-settings.ts'
import { patchNumberSettings } from '../../src/services/numbers/number-settings-service.ts'
import { createTag } from '../../src/services/tags/tag-service.ts'
import { addTeamMember, createTeam } from '../../src/services/teams/team-service.ts'
import { createUser } from '../../src/services/users/user-service.ts'
import { userEnv } from '../../test/e2e/processes.ts'

export type CallCenter = {
  companyId: number
  /** The number the simulated callers dial (E.164). */
  numberE164: string
  tagId: number
  agents: { userId: number; token: string }[]
}

export type CallCenterOptions = {
  agents: number
  /** The team step's strategy: `random` spreads calls over the idle agents. */
  strategy: 'random' | 'longest_idle' | 'simultaneous'
  mandatoryTagging: boolean
}

const noMail: Mailer = { send: async () => {} }

/** Runs `work` on the mode's database as `sb` would with no hub running (embedded: takes DATA_DIR). */
export async function withAdmin<T>(
  dataDir: string,
  env: Record<string, string>,
  work: (deps: AdminDeps) => Promise<T>,
): Promise<T> {
  const parsed = parseEnv(userEnv(dataDir, env))
  const target: AdminTarget = await openAdminTarget(parsed, createLogger('warn'))
  try {
    if (target.kind !== 'direct') throw new Error(`a hub runs on ${dataDir}: the benchmark needs it stopped`)
    return await work(await target.deps())
  } finally {
    await target.close()
  }
}

export async function seedCallCenter(
  dataDir: string,
  env: Record<string, string>,
  apiId: string,
  options: CallCenterOptions,
): Promise<CallCenter> {
  return withAdmin(dataDir, env, async (deps) => {
    const [key] = await deps.db
      .select({ id: apiKeys.id, companyId: apiKeys.companyId })
      .from(apiKeys)
      .where(eq(apiKeys.apiId, apiId))
    if (!key) throw new Error(`no API key ${apiId}`)
    const companyId = key.companyId
    const actor: Actor = { type: 'api_key', companyId, apiKeyId: key.id }
    const links = createLinks(deps.publicUrl())
    const ctx: ServiceContext = { db: deps.db, companyId, actor, clock: deps.clock, links }
    const logger = deps.logger ?? createLogger('silent')
    const mail = { mailer: noMail, env: { INVITATION_TTL_HOURS: 72 }, log: logger, mailLinks: links }

    const team = await createTeam(ctx, 'Bench agents')
    const tag = await createTag(ctx, { name: 'Bench', color: '#0984E3', description: 'Tagged by the bench' })
    const agents: CallCenter['agents'] = []
    for (let i = 0; i < options.agents; i++) {
      const user = await createUser(
        ctx,
        {
          email: `agent${i}@bench.example`,
          first_name: 'Agent',
          last_name: `N${i}`,
          availability_status: 'available',
          time_zone: 'Europe/Paris',
          language: 'en-US',
        },
        mail,
      )
      await addTeamMember(ctx, team.id, user.id)
      const token = await issueUserToken(deps.db, deps.clock, {
        companyId,
        userId: user.id,
        kind: 'agent',
        name: 'calls bench',
      })
      agents.push({ userId: user.id, token: token.token })
    }

    const numberDeps = { carrier: deps.carrier!, queue: await deps.queue(), logger }
    const number = await createNumber(ctx, numberDeps, {
      type: 'classic',
      country: 'US',
      area: '415',
      name: 'Bench line',
    })
    await patchNumberSettings(
      ctx,
      numberDeps,
      number.id,
      numberSettingsPatchSchema.parse({
        distribution: {
          steps: [{ type: 'team', team_id: team.id, ring_time_sec: 60, strategy: options.strategy }],
        },
        mandatory_tagging: options.mandatoryTagging,
      }),
    )
    return { companyId, numberE164: number.e164_digits, tagId: tag.id, agents }
  })
}

/** One call's steps from its hang-up to its call.ended webhook, by the hub's clock (ms). */
export type EndedSteps = {
  hungUp: number
  finalized: number
  relayed: number | null
  delivered: number | null
}

export type CallRecords = {
  /** Call id → when the hub created it (calls.started_at, ms). */
  startedAt: Map<number, number>
  /** Outbox events of the calls (call.created … call.ended), by event name. */
  events: Map<string, number>
  /**
   * Call id → the steps from its hang-up to its call.ended webhook, by the hub's clock (ms):
   * the hang-up (calls.ended_at), the finalization's commit (its timeline row), the relay of
   * the call.ended outbox row, and the delivery's success.
   */
  endedSteps: Map<number, EndedSteps>
}

/** After the run, with the hub stopped: when each call was created, and the events recorded. */
export async function readCallRecords(
  dataDir: string,
  env: Record<string, string>,
  companyId: number,
  since: Date,
): Promise<CallRecords> {
  return withAdmin(dataDir, env, async (deps) => {
    const rows = await deps.db
      .select({ id: calls.id, startedAt: calls.startedAt })
      .from(calls)
      .where(and(eq(calls.companyId, companyId), gte(calls.startedAt, since)))
    const counts = await deps.db
      .select({ event: outbox.event, n: sql<number>`count(*)::int` })
      .from(outbox)
      .where(
        and(
          eq(outbox.companyId, companyId),
          gte(outbox.occurredAt, since),
          inArray(outbox.event, [
            'call.created',
            'call.ringing_on_agent',
            'call.answered',
            'call.hungup',
            'call.ended',
          ]),
        ),
      )
      .groupBy(outbox.event)
    const steps = rowsOf<{
      id: number
      hung_up: string
      finalized: string
      relayed: string | null
      delivered: string | null
    }>(
      await deps.db.execute(sql`
      select c.id, c.ended_at as hung_up, e.at as finalized, o.relayed_at as relayed, d.delivered_at as delivered
      from calls c
      join call_events e on e.call_id = c.id and e.type = 'finalized'
      left join outbox o on o.company_id = c.company_id and o.event = 'call.ended' and (o.data->>'id')::bigint = c.id
      left join webhook_deliveries d on d.outbox_id = o.id
      where c.company_id = ${companyId} and c.started_at >= ${since.toISOString()}`),
    )
    const ms = (t: string | Date | null) => (t === null ? null : new Date(t).getTime())
    return {
      startedAt: new Map(rows.map((r) => [r.id, r.startedAt.getTime()])),
      events: new Map(counts.map((c) => [c.event, c.n])),
      endedSteps: new Map(
        steps.map((r) => [
          Number(r.id),
          {
            hungUp: ms(r.hung_up)!,
            finalized: ms(r.finalized)!,
            relayed: ms(r.relayed),
            delivered: ms(r.delivered),
          },
        ]),
      ),
    }
  })
}
