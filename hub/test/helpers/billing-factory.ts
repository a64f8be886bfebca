import { eq } from 'drizzle-orm'
import type { Clock } from '../../src/core/clock.ts'
import type { Database } from '../../src/db/client.ts'
import { numbers, users } from '../../src/db/schema/index.ts'
import { processJobs } from '../../src/jobs/job-definition.ts'
import type { FailedJob, Job, JobHandler, JobOptions, JobQueue } from '../../src/jobs/queue.ts'
import {
  invoiceJob,
  monthlyBillingRunJob,
  startBillingSchedule,
} from '../../src/services/billing/invoice-worker.ts'
import type { HubDeps } from '../../src/services/deps.ts'
import { defaultSettings } from '../../src/telephony/number-defaults.ts'

type NumberRow = typeof numbers.$inferSelect

let seq = 0

/**
 * A number row as billing sees it (country, price, taken / released dates), inserted
 * directly: billing tests do not depend on number creation through the carrier.
 */
export async function insertBillingNumber(
  db: Database,
  input: {
    companyId: number
    createdAt: Date
    releasedAt?: Date | null
    country?: string
    monthlyPriceMinor?: number
    currency?: string
    name?: string
    verificationState?: NumberRow['verificationState']
  },
): Promise<NumberRow> {
  const n = ++seq
  const [row] = await db
    .insert(numbers)
    .values({
      companyId: input.companyId,
      name: input.name ?? `Billing line ${n}`,
      type: 'classic',
      country: input.country ?? 'FR',
      area: null,
      // Outside any real numbering plan, unique per test database.
      e164: `+999${String(Date.now() % 1e6).padStart(6, '0')}${String(n).padStart(5, '0')}`,
      timeZone: 'Europe/Paris',
      verificationState: input.verificationState ?? 'active',
      settings: defaultSettings({
        type: 'classic',
        timeZone: 'Europe/Paris',
        language: 'fr-FR',
        users: [],
        teams: [],
      }),
      monthlyPriceMinor: input.monthlyPriceMinor ?? 600,
      currency: input.currency ?? 'EUR',
      releasedAt: input.releasedAt ?? null,
      createdAt: input.createdAt,
      updatedAt: input.createdAt,
    })
    .returning()
  if (!row) throw new Error('insert returned no number')
  return row
}

/** Backdates every user of a company (the test hub creates them "now"). */
export async function setUsersCreatedAt(db: Database, companyId: number, createdAt: Date) {
  await db.update(users).set({ createdAt }).where(eq(users.companyId, companyId))
}

export async function insertBillingUser(db: Database, companyId: number, createdAt: Date) {
  const n = ++seq
  await db.insert(users).values({
    companyId,
    email: `seat-${Date.now().toString(36)}-${n}@example.test`,
    role: 'agent',
    createdAt,
    updatedAt: createdAt,
  })
}

/** What a worker does for billing: its two jobs' handlers on deps.queue, then the start-up schedule. */
export async function startBillingWorkers(deps: HubDeps): Promise<void> {
  processJobs(deps.queue, deps, [monthlyBillingRunJob, invoiceJob])
  await startBillingSchedule(deps)
}

export type RecordedJob = {
  queue: string
  name: string
  data: unknown
  options: JobOptions
  runAt: Date
  state: 'waiting' | 'completed'
}

/**
 * A queue that honours the JobQueue contract billing relies on (jobKey de-duplication,
 * delays measured on the injected clock) and lets a test run due jobs by hand, so scheduling
 * is asserted on what was enqueued and when, without timers.
 */
export function createRecordingQueue(clock: Clock) {
  const jobs: RecordedJob[] = []
  const keys = new Set<string>()
  const handlers = new Map<string, JobHandler>()
  let ids = 0

  async function run(job: RecordedJob) {
    const handler = handlers.get(job.queue)
    if (!handler) throw new Error(`no handler for queue ${job.queue}`)
    const payload: Job = {
      id: String(++ids),
      queue: job.queue,
      name: job.name,
      data: job.data,
      attempt: 1,
      maxAttempts: job.options.attempts ?? 1,
    }
    await handler(payload)
    job.state = 'completed'
  }

  const queue: JobQueue = {
    kind: 'embedded',
    async add(name, jobName, data, options = {}) {
      if (options.jobKey) {
        const key = `${name}\u0000${options.jobKey}`
        if (keys.has(key)) return
        keys.add(key)
      }
      const runAt = new Date(clock.now().getTime() + (options.delayMs ?? 0))
      jobs.push({ queue: name, name: jobName, data, options, runAt, state: 'waiting' })
    },
    async addBulk(list) {
      for (const job of list) await queue.add(job.queue, job.name, job.data, job.options)
    },
    async cancel(name, jobKey) {
      const i = jobs.findIndex(
        (j) => j.queue === name && j.options.jobKey === jobKey && j.state === 'waiting',
      )
      if (i < 0) return
      jobs.splice(i, 1)
      keys.delete(`${name}\u0000${jobKey}`)
    },
    process(name, handler) {
      handlers.set(name, handler)
    },
    async start() {},
    async lagMs(name) {
      const now = clock.now().getTime()
      const due = jobs.filter((j) => j.queue === name && j.state === 'waiting' && j.runAt.getTime() <= now)
      return Math.max(0, ...due.map((j) => now - j.runAt.getTime()))
    },
    async listFailed(): Promise<FailedJob[]> {
      return []
    },
    async retryFailed() {},
    async ping() {},
    async close() {},
  }

  return {
    queue,
    jobs,
    run,
    /** Runs every waiting job due by the clock, including the ones those jobs add, in order. */
    async runDue() {
      let ran = 0
      for (;;) {
        const next = jobs.find((j) => j.state === 'waiting' && j.runAt <= clock.now())
        if (!next) return ran
        await run(next)
        ran++
      }
    },
  }
}

/**
 * Reads a PDF the way a strict viewer starts to: header, trailer, cross-reference table
 * (every offset must land on its `n 0 obj`), page count, and the text shown by `Tj`
 * (literal strings unescaped, WinAnsi octal escapes decoded). Throws on anything malformed.
 */
export function parsePdf(bytes: Uint8Array) {
  const text = Buffer.from(bytes).toString('latin1')
  if (!text.startsWith('%PDF-')) throw new Error('no %PDF- header')
  const version = text.slice(5, 8)
  const tail = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(text)
  if (!tail) throw new Error('no startxref / %%EOF at the end')
  const xrefAt = Number(tail[1])
  if (text.slice(xrefAt, xrefAt + 4) !== 'xref') throw new Error('startxref does not point to xref')
  const header = /^xref\s+0 (\d+)\s+/.exec(text.slice(xrefAt))
  if (!header) throw new Error('bad xref header')
  const size = Number(header[1])
  const entriesAt = xrefAt + header[0].length
  for (let id = 0; id < size; id++) {
    const entry = text.slice(entriesAt + id * 20, entriesAt + id * 20 + 20)
    const m = /^(\d{10}) (\d{5}) ([nf])(?: \n|\r\n| \r)$/.exec(entry)
    if (!m) throw new Error(`bad xref entry ${id}: ${JSON.stringify(entry)}`)
    if (m[3] === 'n' && !text.startsWith(`${id} 0 obj`, Number(m[1]))) {
      throw new Error(`xref entry ${id} does not point to its object`)
    }
  }
  const trailer = /trailer\s*<<(.*?)>>/s.exec(text.slice(xrefAt))
  if (!trailer?.[1]?.includes('/Root')) throw new Error('trailer has no /Root')
  if (!trailer[1].includes(`/Size ${size}`)) throw new Error('trailer /Size does not match the xref')
  for (const stream of text.matchAll(/<< \/Length (\d+) >>\nstream\n/g)) {
    const start = (stream.index ?? 0) + stream[0].length
    if (!text.startsWith('endstream', start + Number(stream[1]))) throw new Error('stream /Length is wrong')
  }
  const pages = [...text.matchAll(/\/Type \/Page\b(?!s)/g)].length
  const strings: string[] = []
  for (const m of text.matchAll(/\(((?:\\.|[^\\)])*)\) Tj/g)) {
    strings.push(
      (m[1] ?? '').replace(/\\([0-7]{3}|.)/g, (_, esc: string) =>
        esc.length === 3 ? Buffer.from([Number.parseInt(esc, 8)]).toString('latin1') : esc,
      ),
    )
  }
  return { version, pages, strings, text: strings.join('\n') }
}
