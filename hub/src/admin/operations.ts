import { eq, sql } from 'drizzle-orm'
import { z } from 'zod'
import type { Clock } from '../core/clock.ts'
import { DomainError } from '../core/errors.ts'
import type { Logger } from '../core/logger.ts'
import type { Database } from '../db/client.ts'
import { companies } from '../db/schema/index.ts'
import { hubQueues } from '../job-registry.ts'
import { listDeadJobs, replayDeadJob } from '../jobs/dead-letters.ts'
import type { FailedJob, JobQueue } from '../jobs/queue.ts'
import type { Mailer } from '../mail/mailer.ts'
import { toApiKeyJson } from '../services/api-keys/api-key-json.ts'
import { insertApiKey } from '../services/api-keys/api-key-service.ts'
import { createCompanyWithAdmin, type SetupResult } from '../services/company/create-company.ts'
import type { ReviewDeps } from '../services/number-verification/review.ts'
import type { Carrier } from '../telephony/carrier/carrier.ts'

/**
 * The operator commands behind `sb`. They run in two places: inside the running hub (through
 * the admin socket, because one process at a time runs DATA_DIR's embedded database) and directly in the
 * CLI (no hub running, or a shared PostgreSQL). Both call these functions, so both behave alike.
 */

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

export const setupInputSchema = z.object({
  company: z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'must not be empty')
    .max(200, 'must be at most 200 characters'),
  email: z
    .string({ error: 'is required' })
    .trim()
    .max(254, 'must be at most 254 characters')
    .regex(EMAIL, 'must be an email address like you@example.com'),
  password: z
    .string({ error: 'is required' })
    .min(10, 'must be at least 10 characters')
    .max(200, 'must be at most 200 characters'),
  first_name: z.string().trim().max(100, 'must be at most 100 characters').optional(),
  last_name: z.string().trim().max(100, 'must be at most 100 characters').optional(),
})
export type SetupCommandInput = z.infer<typeof setupInputSchema>

/** Parses untrusted input with a schema; the first problem becomes a 400 naming the field. */
export function parseAdminInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const field = issue?.path.join('.') || undefined
  throw new DomainError(
    'bad_request',
    field ? `${field} ${issue?.message}` : (issue?.message ?? 'invalid input'),
    {
      field,
    },
  )
}

export type AdminDeps = {
  db: Database
  clock: Clock
  /** The job queue, made on first use: most commands never need one. */
  queue(): Promise<JobQueue>
  /** Mails the commands send (verification decisions): the hub's own mailer behind the socket. */
  mailer: Mailer
  /**
   * Absolute base of the links in event data: PUBLIC_URL, else where the hub is reached. A
   * function because a hub only knows its address once it listens, after the socket opened.
   */
  publicUrl(): string
  /** Provisions the numbers of sb demo (the hub's carrier; the sandbox in sb's own process). */
  carrier?: Carrier
  /** Where commands log what the operator does not need to read (sb demo's numbers). */
  logger?: Logger
}

/** What the number verification commands (cli/commands/numbers-verification.ts) need. */
export function reviewDeps(deps: AdminDeps): ReviewDeps {
  return { db: deps.db, clock: deps.clock, mailer: deps.mailer, publicUrl: deps.publicUrl() }
}

/** Creates a company, its first admin and an API key (the token is only ever shown here). */
export async function runSetup(deps: AdminDeps, input: unknown): Promise<SetupResult> {
  const parsed = parseAdminInput(setupInputSchema, input)
  // A user's email is unique within their company only: the same person may own or join
  // several companies, and signs in to one of them by naming it when the address is in more.
  return createCompanyWithAdmin(deps.db, deps.clock, {
    ...parsed,
    firstName: parsed.first_name,
    lastName: parsed.last_name,
  })
}

export const apiKeyInputSchema = z.object({
  company: z.coerce
    .number({ error: 'must be a company id' })
    .int('must be a company id')
    .positive('must be a company id'),
  name: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(100, 'must be at most 100 characters')
    .default('Created with sb'),
})

/** A new API key for a company, e.g. when its admins lost every token. The token is only shown here. */
export async function runCreateApiKey(deps: AdminDeps, input: unknown) {
  const parsed = parseAdminInput(apiKeyInputSchema, input)
  const [company] = await deps.db
    .select({ id: companies.id })
    .from(companies)
    .where(eq(companies.id, parsed.company))
  if (!company)
    throw new DomainError('not_found', `no company with id ${parsed.company}`, { field: 'company' })
  const { row, apiToken } = await insertApiKey(deps.db, {
    companyId: company.id,
    name: parsed.name,
    now: deps.clock.now(),
  })
  return { company_id: company.id, ...toApiKeyJson(row), api_token: apiToken }
}
export type CreatedApiKey = Awaited<ReturnType<typeof runCreateApiKey>>

export async function countCompanies(db: Database): Promise<number> {
  const [row] = await db.select({ n: sql<number>`count(*)::int` }).from(companies)
  return Number(row?.n ?? 0)
}

const queueNameSchema = z
  .string({ error: 'is required' })
  .refine((q) => hubQueues.includes(q), { error: `must be one of: ${hubQueues.join(', ')}` })

export const failedJobsQuerySchema = z.object({
  queue: queueNameSchema.optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(1000).default(50),
})

export const retryJobInputSchema = z.object({
  queue: queueNameSchema,
  id: z.string({ error: 'is required' }).min(1, 'must not be empty'),
})

/** Dead letters of one queue, or of every queue the hub consumes, newest first. */
export async function listFailedJobs(deps: AdminDeps, input: unknown): Promise<FailedJob[]> {
  const { queue, limit } = parseAdminInput(failedJobsQuerySchema, input)
  return listDeadJobs(await deps.queue(), { queues: queue ? [queue] : hubQueues, limit })
}

export async function retryFailedJob(deps: AdminDeps, input: unknown): Promise<void> {
  const job = parseAdminInput(retryJobInputSchema, input)
  const queue = await deps.queue()
  const dead = await queue.listFailed(job.queue, 1000)
  if (!dead.some((d) => d.id === job.id)) {
    throw new DomainError('not_found', `no failed job ${job.id} in queue ${job.queue} (see jobs:failed)`, {
      field: 'id',
    })
  }
  await replayDeadJob(queue, job)
}
