import { and, eq, isNull, sql } from 'drizzle-orm'
import { z } from 'zod'
import type { Clock } from '../../core/clock.ts'
import type { Database } from '../../db/client.ts'
import { integrations, users } from '../../db/schema/index.ts'
import { defineJob, newJobs } from '../../jobs/job-definition.ts'
import type { JobQueue } from '../../jobs/queue.ts'
import { crmUnhealthyMail } from '../../mail/templates.ts'
import { eventBase } from '../../telephony/engine/call-object.ts'
import type { HubDeps } from '../deps.ts'
import { catalogue } from './connections.ts'

/**
 * The integration's health as the sync sees it. A success clears the unhealthy spell; a
 * permanent error (403, validation, a grant the CRM refuses) starts one, and the company's
 * admins get one mail per spell: the job is keyed by the spell's start, queued before the spell
 * is stamped mailed, so a crash in between queues the same keyed job again (a no-op).
 */

export async function recordSyncSuccess(db: Database, clock: Clock, integrationId: number): Promise<void> {
  await db
    .update(integrations)
    .set({ lastSuccessAt: clock.now(), unhealthySince: null, unhealthyMailedAt: null })
    .where(eq(integrations.id, integrationId))
}

/** A retryable failure (the CRM down, throttling): noted, the integration stays healthy. */
export async function recordSyncHiccup(
  db: Database,
  clock: Clock,
  integrationId: number,
  message: string,
): Promise<void> {
  await db
    .update(integrations)
    .set({ lastErrorAt: clock.now(), lastError: message })
    .where(eq(integrations.id, integrationId))
}

/** A permanent failure: unhealthy (and `reauth` when the grant is refused), admins mailed once. */
export async function recordSyncBreakage(
  deps: { db: Database; clock: Clock; queue: JobQueue },
  integrationId: number,
  message: string,
  opts: { reauth: boolean },
): Promise<void> {
  const now = deps.clock.now()
  const [row] = await deps.db
    .update(integrations)
    .set({
      lastErrorAt: now,
      lastError: message,
      unhealthySince: sql`coalesce(${integrations.unhealthySince}, ${now.toISOString()}::timestamptz)`,
      ...(opts.reauth ? { status: 'reauth' as const } : {}),
      updatedAt: now,
    })
    .where(eq(integrations.id, integrationId))
    .returning({
      companyId: integrations.companyId,
      unhealthySince: integrations.unhealthySince,
      mailedAt: integrations.unhealthyMailedAt,
    })
  if (!row || row.mailedAt !== null || row.unhealthySince === null) return
  const admins = await deps.db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.companyId, row.companyId), eq(users.role, 'admin')))
  const spell = row.unhealthySince.getTime()
  await deps.queue.addBulk(
    newJobs(
      crmUnhealthyMailJob,
      admins.map((a) => ({
        data: { integrationId, userId: a.id, reauth: opts.reauth },
        jobKey: `mail:crm-unhealthy:${integrationId}:${spell}:${a.id}`,
      })),
    ),
  )
  await deps.db
    .update(integrations)
    .set({ unhealthyMailedAt: now })
    .where(and(eq(integrations.id, integrationId), isNull(integrations.unhealthyMailedAt)))
}

export const crmUnhealthyMailJob = defineJob({
  queue: 'mail',
  name: 'crm-unhealthy',
  schema: z.object({
    integrationId: z.number().int().positive(),
    userId: z.number().int().positive(),
    reauth: z.boolean(),
  }),
  tries: 6,
  backoffMs: 2_000,
  handle: async (deps: Pick<HubDeps, 'db' | 'mailer' | 'env'>, data) => {
    const [integration] = await deps.db
      .select()
      .from(integrations)
      .where(eq(integrations.id, data.integrationId))
    // Healthy again (or deleted) by the time the mail goes: nothing to say.
    if (!integration || integration.unhealthySince === null) return
    const [admin] = await deps.db
      .select({ email: users.email, language: users.language, role: users.role })
      .from(users)
      .where(and(eq(users.id, data.userId), eq(users.companyId, integration.companyId)))
    if (admin?.role !== 'admin') return
    await deps.mailer.send(
      crmUnhealthyMail({
        to: admin.email,
        language: admin.language,
        integrationName: integration.name,
        crmName: catalogue.find((c) => c.kind === integration.kind)?.name ?? integration.kind,
        error: integration.lastError ?? 'unknown error',
        reconnect: data.reauth,
        link: `${eventBase(deps.env)}/v1/integrations/${integration.id}`,
      }),
    )
  },
})
