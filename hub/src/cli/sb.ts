import { type ParseArgsConfig, parseArgs } from 'node:util'
import { adminRequest, adminSocketPath } from '../admin/admin-socket.ts'
import type { DemoResult } from '../admin/demo.ts'
import type { CreatedApiKey, SetupCommandInput } from '../admin/operations.ts'
import { DomainError, type ErrorCode } from '../core/errors.ts'
import { liveLockHolder } from '../db/lock.ts'
import { type Env, EnvError, parseEnv } from '../env.ts'
import type { FailedJob } from '../jobs/queue.ts'
import { hubQueueNames } from '../jobs/queue-names.ts'
import type { SetupResult } from '../services/company/create-company.ts'
import type { RekeyResult } from '../services/integrations/rekey.ts'
import type { PendingVerification, ReviewResult } from '../services/number-verification/review.ts'
import type { AdminTarget } from './admin-target.ts'
import { formatDemo } from './commands/demo.ts'
import {
  connectIntegration,
  createIntegrationCommand,
  formatActivities,
  formatIntegrations,
  formatRekey,
  linkNumbersCommand,
  listIntegrationLines,
  sandboxActivitiesCommand,
} from './commands/integrations.ts'
import {
  formatSummary,
  parseSimulateArgs,
  progressLine,
  runSimulation,
  simulateFlags,
} from './commands/simulate.ts'
import { createHubApi, parseApiKey } from './hub-api.ts'
import { UsageError } from './usage-error.ts'

// What opens the database, the services and the job registry (and through them the CRM
// clients) is imported by the commands that use it: `sb --help`, and `sb simulate` or the
// integrations commands (which only speak to the hub's HTTP API), start without loading it.
const adminOperations = () => import('../admin/operations.ts')
const demoSeed = () => import('../admin/demo.ts')
const numbersReview = () => import('./commands/numbers-verification.ts')
const syncCommands = () => import('./commands/sync.ts')

/** `sb` — the operator CLI. Exit codes: 0 done, 1 the command failed, 2 bad usage or configuration. */

const USAGE = `Usage: sb <command> [options]     (from the repository: npm run sb -- <command> …)

Commands:
  setup --company <name> --email <email> --password <password> [--first-name <name>] [--last-name <name>] [--json]
        Create a company, its first admin user and an API key. The API token is shown once.
  api-keys:create --company <company id> [--name <name>] [--json]
        Create another API key for a company (e.g. when every token was lost). Shown once.
  migrate
        Apply the database migrations and exit (the hub also applies them when it starts).
  jobs:failed [<queue>] [--limit <n>] [--json]
        List dead letters (jobs that used all their tries), of one queue or of all.
        Queues: ${hubQueueNames.join(', ')}.
  jobs:retry <queue> <job id>
        Put a dead letter back in its queue with a fresh set of tries.
  numbers:pending [--limit <n>] [--json]
        List the numbers whose verification documents wait for review, oldest first.
  numbers:approve <number id>
        Approve the number's documents: it goes live and the company's admins are mailed.
  numbers:reject <number id> --reason "<text>"
        Refuse the number's documents; the company's admins see the reason and may resubmit.
  sync:failed [--limit <n>] [--json]
        List the calls whose CRM sync failed for good (a 403, a validation error), newest first.
  sync:replay <call id> [--integration <integration id>]
        Sync a call to its CRM integrations again (the activity is updated, never duplicated).
  simulate --to <phone number> [--calls <n>] [--from <e164>] [--digits <keys>] [--answer-after <s>] [--talk <s>]
           [--concurrency <n>] [--timeout <s>] [--api-key <api_id:api_token>] [--hub <url>] [--json]
        Place inbound calls to one of the company's numbers (any common format) through the sandbox's
        simulation API, follow each to its end and sum up: answered, voicemail, missed by reason.
        The company is the API key's (--api-key, or SB_API_KEY); the hub is --hub, else the one
        running on DATA_DIR, else PUBLIC_URL, else http://localhost:PORT.
  demo [--company <name>] [--json]
        Create a company ready to try: a classic number with a three-step distribution, an IVR
        number with three options, two teams, tags and agents in each status. Prints the admin's
        login, an API key, each agent's token and the ids (--json: one object). Shown once.
  integrations [--json]
        List the company's integrations (CRMs, weather) with their status, numbers and sync health.
  integrations:create <kind> <name> [--sandbox] [--subdomain <zendesk subdomain>] [--instance-url <url>] [--json]
        Add an integration: hubspot, salesforce, zendesk, dynamics or weather. --sandbox connects the
        hub's built-in sandbox CRM instead of the vendor (no account needed).
  integrations:connect <id> [--approve]
        Print the URL that connects the integration (open it in a browser, valid 10 minutes).
        --approve (sandbox integrations) answers the sandbox consent page itself.
  integrations:link <id> <number id…>
        Link numbers: their calls are logged in the CRM and their callers looked up in it.
  integrations:rekey
        Re-seal every stored CRM token with the current key (the first of CRM_TOKEN_KEYS), after a
        key rotation; then the older keys can be removed.
  crm:activities <integration id> [--json]
        What a sandbox integration's CRM received: its call activities (calls, tasks, tickets, phone
        calls) and records (contacts, leads, accounts, users).
        The integrations commands (not rekey) act as the company of --api-key (or SB_API_KEY) on --hub.
  help  Show this text.

sb uses the same settings as the hub (DATA_DIR, DATABASE_URL, REDIS_URL …). With the embedded
database and a hub running on the same DATA_DIR, the command is sent to that hub through
DATA_DIR/admin.sock; otherwise sb opens the database itself.`

/** The one place a domain error becomes an exit code: 2 for what the operator typed, 1 for the rest. */
function exitCodeOf(code: ErrorCode): 1 | 2 {
  switch (code) {
    case 'bad_request':
    case 'payload_too_large':
    case 'unprocessable':
      return 2
    case 'unauthorized':
    case 'forbidden':
    case 'not_found':
    case 'not_allowed':
    case 'conflict':
    case 'rate_limited':
    case 'unavailable':
    case 'internal':
      return 1
  }
}

type Command = {
  options: ParseArgsConfig['options']
  run(ctx: { env: Env; values: Record<string, unknown>; positionals: string[] }): Promise<void>
}

/** The shell's exit code of a process ended by the signal. */
const exitCodeOfSignal = (signal: NodeJS.Signals) =>
  signal === 'SIGINT' ? 130 : signal === 'SIGHUP' ? 129 : 143

/** A command stopped by a signal once its work is wound down: the shell's code for it. */
class Interrupted extends Error {
  constructor(readonly exitCode: number) {
    super('interrupted')
  }
}

const out = (line = '') => process.stdout.write(`${line}\n`)

/** The flags of the commands that act on the hub's API as a company (its API key). */
const apiFlags = { 'api-key': { type: 'string' }, hub: { type: 'string' } } as const

/** The commands. Add one here (and a route in admin/admin-app.ts when it must reach a running hub). */
const commands: Record<string, Command> = {
  setup: {
    options: {
      company: { type: 'string' },
      email: { type: 'string' },
      password: { type: 'string' },
      'first-name': { type: 'string' },
      'last-name': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    async run({ env, values, positionals }) {
      const { parseAdminInput, runSetup, setupInputSchema } = await adminOperations()
      if (positionals.length > 0)
        throw new UsageError(`setup takes no positional argument (got "${positionals[0]}")`)
      const input: SetupCommandInput = parseFlags(() =>
        parseAdminInput(setupInputSchema, {
          company: values.company,
          email: values.email,
          password: values.password,
          first_name: values['first-name'],
          last_name: values['last-name'],
        }),
      )
      const { result, hubUrl } = await withTarget(env, async (target) =>
        target.kind === 'socket'
          ? {
              result: (await target.call('POST', '/setup', input)) as SetupResult, // the hub answers runSetup's result
              hubUrl: target.hubUrl,
            }
          : { result: await runSetup(await target.deps(), input), hubUrl: null },
      )
      if (values.json === true) {
        out(JSON.stringify(result))
        return
      }
      const base = hubUrl ?? env.PUBLIC_URL?.replace(/\/$/, '') ?? `http://localhost:${env.PORT}`
      out(
        `Created company "${input.company}" (id ${result.company_id}) with admin ${input.email} (user id ${result.user_id}).`,
      )
      out('')
      out('Its API key — the token is shown only this once, store it now:')
      out(`  api_id:    ${result.api_id}`)
      out(`  api_token: ${result.api_token}`)
      out('')
      out('Try it:')
      out(`  curl -u ${result.api_id}:${result.api_token} ${base}/v1/company`)
    },
  },

  'api-keys:create': {
    options: {
      company: { type: 'string' },
      name: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    async run({ env, values, positionals }) {
      const { apiKeyInputSchema, parseAdminInput, runCreateApiKey } = await adminOperations()
      if (positionals.length > 0) throw new UsageError(`api-keys:create takes no positional argument`)
      const input = parseFlags(() =>
        parseAdminInput(apiKeyInputSchema, { company: values.company, name: values.name }),
      )
      const { key, hubUrl } = await withTarget(env, async (target) =>
        target.kind === 'socket'
          ? { key: (await target.call('POST', '/api-keys', input)) as CreatedApiKey, hubUrl: target.hubUrl } // the hub answers runCreateApiKey's result
          : { key: await runCreateApiKey(await target.deps(), input), hubUrl: null },
      )
      if (values.json === true) {
        out(JSON.stringify(key))
        return
      }
      const base = hubUrl ?? env.PUBLIC_URL?.replace(/\/$/, '') ?? `http://localhost:${env.PORT}`
      out(`Created API key "${key.name}" (id ${key.id}) for company ${key.company_id}.`)
      out('The token is shown only this once, store it now:')
      out(`  api_id:    ${key.api_id}`)
      out(`  api_token: ${key.api_token}`)
      out('')
      out(`Try it: curl -u ${key.api_id}:${key.api_token} ${base}/v1/company`)
    },
  },

  migrate: {
    options: {},
    async run({ env }) {
      await withTarget(env, async (target) => {
        if (target.kind === 'socket') {
          out(`The hub running on this DATA_DIR (pid ${target.pid}) applied the migrations when it started.`)
          return
        }
        await target.deps() // opening the database applies the committed migrations
        out(
          `Database migrated (${target.database === 'embedded' ? `embedded, in ${env.DATA_DIR}` : 'DATABASE_URL'}).`,
        )
      })
    },
  },

  'jobs:failed': {
    options: { limit: { type: 'string' }, json: { type: 'boolean', default: false } },
    async run({ env, values, positionals }) {
      const { failedJobsQuerySchema, listFailedJobs, parseAdminInput } = await adminOperations()
      const [queue, extra] = positionals
      if (extra) throw new UsageError('jobs:failed takes at most one argument: the queue name')
      const limit = typeof values.limit === 'string' ? values.limit : undefined
      const query = { queue, limit }
      parseFlags(() => parseAdminInput(failedJobsQuerySchema, query), ['queue'])
      const jobs = await withTarget(env, async (target) => {
        if (target.kind === 'direct') return listFailedJobs(await target.deps(), query)
        const params = new URLSearchParams()
        if (queue) params.set('queue', queue)
        if (limit) params.set('limit', limit)
        const body = await target.call('GET', `/jobs/failed?${params}`)
        return (body as { jobs: FailedJob[] }).jobs // the hub answers listFailedJobs' result
      })
      if (values.json === true) {
        out(JSON.stringify(jobs))
        return
      }
      if (jobs.length === 0) {
        out(queue ? `No failed job in queue "${queue}".` : 'No failed job.')
        return
      }
      for (const job of jobs) {
        const when = job.failedAt ? new Date(job.failedAt).toISOString() : '-'
        out(
          `${job.queue}  ${job.id}  ${job.name}  tries=${job.attempts}  failed_at=${when}  ${job.error.split('\n')[0]}`,
        )
      }
      out(`${jobs.length} failed job(s). Retry one with: npm run sb -- jobs:retry <queue> <id>`)
    },
  },

  'jobs:retry': {
    options: {},
    async run({ env, positionals }) {
      const { retryFailedJob } = await adminOperations()
      const [queue, id, extra] = positionals
      if (!queue || !id || extra)
        throw new UsageError('jobs:retry takes two arguments: the queue name and the job id')
      await withTarget(env, async (target) => {
        if (target.kind === 'direct') await retryFailedJob(await target.deps(), { queue, id })
        else await target.call('POST', '/jobs/retry', { queue, id })
      })
      out(`Job ${id} of queue "${queue}" is queued again.`)
    },
  },

  'sync:failed': {
    options: { limit: { type: 'string' }, json: { type: 'boolean', default: false } },
    async run({ env, values, positionals }) {
      const [{ parseAdminInput }, { failedSyncs, failedSyncsInputSchema }] = await Promise.all([
        adminOperations(),
        syncCommands(),
      ])
      if (positionals.length > 0)
        throw new UsageError(`sync:failed takes no positional argument (got "${positionals[0]}")`)
      const limit = typeof values.limit === 'string' ? values.limit : undefined
      parseFlags(() => parseAdminInput(failedSyncsInputSchema, { limit }))
      const failed = await withTarget(env, async (target) => {
        if (target.kind === 'direct') return failedSyncs(await target.deps(), { limit })
        const body = await target.call('GET', `/sync/failed?${new URLSearchParams(limit ? { limit } : {})}`)
        return (body as { failed: Awaited<ReturnType<typeof failedSyncs>> }).failed
      })
      if (values.json === true) {
        out(JSON.stringify(failed))
        return
      }
      for (const f of failed)
        out(
          `call ${f.call_id}  ${f.kind} "${f.integration_name}" (${f.integration_id})  tries=${f.attempts}  ${f.updated_at}  ${(f.last_error ?? '').split('\n')[0]}`,
        )
      out(`${failed.length} failed sync(s). Replay one with: npm run sb -- sync:replay <call id>`)
    },
  },

  'sync:replay': {
    options: { integration: { type: 'string' } },
    async run({ env, values, positionals }) {
      const [{ parseAdminInput }, { replayInputSchema, replaySync }] = await Promise.all([
        adminOperations(),
        syncCommands(),
      ])
      const [callId, extra] = positionals
      if (!callId || extra) throw new UsageError('sync:replay takes one argument: the call id')
      const input = {
        call_id: callId,
        ...(typeof values.integration === 'string' ? { integration_id: values.integration } : {}),
      }
      parseFlags(() => parseAdminInput(replayInputSchema, input), ['call_id'])
      const sync = await withTarget(env, async (target) => {
        if (target.kind === 'direct') return replaySync(await target.deps(), input)
        return (
          (await target.call('POST', '/sync/replay', input)) as {
            sync: Awaited<ReturnType<typeof replaySync>>
          }
        ).sync
      })
      for (const s of sync)
        out(
          `call ${callId}  ${s.kind} "${s.integration_name}" (${s.integration_id})  ${s.state}  ${s.external_id ?? '-'}`,
        )
      out(`Call ${callId} is queued for sync again.`)
    },
  },

  'numbers:pending': {
    options: { limit: { type: 'string' }, json: { type: 'boolean', default: false } },
    async run({ env, values, positionals }) {
      const [{ parseAdminInput }, { formatPending, listPendingVerifications, pendingInputSchema }] =
        await Promise.all([adminOperations(), numbersReview()])
      if (positionals.length > 0)
        throw new UsageError(`numbers:pending takes no positional argument (got "${positionals[0]}")`)
      const limit = typeof values.limit === 'string' ? values.limit : undefined
      if (limit !== undefined && !/^\d+$/.test(limit)) throw new UsageError('--limit must be 1 to 1000')
      parseFlags(() => parseAdminInput(pendingInputSchema, { limit }))
      const pending = await withTarget(env, async (target) => {
        if (target.kind === 'direct') return listPendingVerifications(await target.deps(), { limit })
        const params = new URLSearchParams()
        if (limit) params.set('limit', limit)
        const body = await target.call('GET', `/numbers/pending?${params}`)
        return (body as { pending: PendingVerification[] }).pending // the hub answers listPendingVerifications' result
      })
      if (values.json === true) {
        out(JSON.stringify(pending))
        return
      }
      for (const line of formatPending(pending)) out(line)
    },
  },

  'numbers:approve': {
    options: {},
    async run({ env, positionals }) {
      const [{ reviewDeps }, { approveNumber, formatDecision }] = await Promise.all([
        adminOperations(),
        numbersReview(),
      ])
      const [id, extra] = positionals
      if (!id || extra)
        throw new UsageError('numbers:approve takes one argument: the number id (see numbers:pending)')
      const input = { number_id: numberIdArgument(id) }
      const result = await withTarget(env, async (target) => {
        if (target.kind === 'direct') return approveNumber(reviewDeps(await target.deps()), input)
        return (await target.call('POST', '/numbers/approve', input)) as ReviewResult // the hub answers approveNumber's result
      })
      for (const line of formatDecision(result)) out(line)
    },
  },

  'numbers:reject': {
    options: { reason: { type: 'string' } },
    async run({ env, values, positionals }) {
      const [{ parseAdminInput, reviewDeps }, { formatDecision, rejectInputSchema, rejectNumber }] =
        await Promise.all([adminOperations(), numbersReview()])
      const [id, extra] = positionals
      if (!id || extra)
        throw new UsageError(
          'numbers:reject takes one argument: the number id (see numbers:pending), and --reason "<text>"',
        )
      const input = { number_id: numberIdArgument(id), reason: values.reason }
      if (input.reason === undefined)
        throw new UsageError(
          '--reason is required: the company is told why (e.g. --reason "The address document is unreadable")',
        )
      parseFlags(() => parseAdminInput(rejectInputSchema, input))
      const result = await withTarget(env, async (target) => {
        if (target.kind === 'direct') return rejectNumber(reviewDeps(await target.deps()), input)
        return (await target.call('POST', '/numbers/reject', input)) as ReviewResult // the hub answers rejectNumber's result
      })
      for (const line of formatDecision(result)) out(line)
    },
  },
  demo: {
    options: { company: { type: 'string' }, json: { type: 'boolean', default: false } },
    async run({ env, values, positionals }) {
      const [{ parseAdminInput }, { demoInputSchema, runDemo }] = await Promise.all([
        adminOperations(),
        demoSeed(),
      ])
      if (positionals.length > 0)
        throw new UsageError(`demo takes no positional argument (got "${positionals[0]}")`)
      const input = parseFlags(() => parseAdminInput(demoInputSchema, { company: values.company }))
      const { demo, hubUrl } = await withTarget(env, async (target) =>
        target.kind === 'socket'
          ? { demo: (await target.call('POST', '/demo', input)) as DemoResult, hubUrl: target.hubUrl } // the hub answers runDemo's result
          : { demo: await runDemo(await target.deps(), input), hubUrl: null },
      )
      if (values.json === true) {
        out(JSON.stringify(demo))
        return
      }
      const base = hubUrl ?? env.PUBLIC_URL?.replace(/\/$/, '') ?? `http://localhost:${env.PORT}`
      for (const line of formatDemo(demo, base)) out(line)
    },
  },

  integrations: {
    options: { ...apiFlags, json: { type: 'boolean', default: false } },
    async run({ env, values, positionals }) {
      if (positionals.length > 0) throw new UsageError('integrations takes no positional argument')
      const items = await listIntegrationLines(await companyApi(env, values))
      if (values.json === true) out(JSON.stringify(items))
      else for (const line of formatIntegrations(items)) out(line)
    },
  },

  'integrations:create': {
    options: {
      ...apiFlags,
      sandbox: { type: 'boolean', default: false },
      subdomain: { type: 'string' },
      'instance-url': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    async run({ env, values, positionals }) {
      const [kind, name, extra] = positionals
      if (!kind || !name || extra)
        throw new UsageError('integrations:create takes two arguments: the kind and a name (quote it)')
      const created = await createIntegrationCommand(await companyApi(env, values), {
        kind,
        name,
        sandbox: values.sandbox === true,
        ...(typeof values.subdomain === 'string' ? { subdomain: values.subdomain } : {}),
        ...(typeof values['instance-url'] === 'string' ? { instance_url: values['instance-url'] } : {}),
      })
      if (values.json === true) {
        out(JSON.stringify(created))
        return
      }
      out(`Created integration ${created.id} (${created.kind}, "${created.name}"): ${created.status}.`)
      if (created.status === 'pending')
        out(
          `Connect it: npm run sb -- integrations:connect ${created.id}${created.sandbox ? ' --approve' : ''}`,
        )
    },
  },

  'integrations:connect': {
    options: { ...apiFlags, approve: { type: 'boolean', default: false } },
    async run({ env, values, positionals }) {
      const [id, extra] = positionals
      if (!id || extra) throw new UsageError('integrations:connect takes one argument: the integration id')
      const result = await connectIntegration(
        await companyApi(env, values),
        idArgument(id, 'integration id'),
        values.approve === true,
      )
      if (!result.approved) {
        out('Open this URL in the browser of an admin of the CRM account (valid 10 minutes, once):')
        out(`  ${result.authorizeUrl}`)
        return
      }
      out(`${result.approved.title}: ${result.approved.text}`)
      if (!result.approved.ok) throw new DomainError('unavailable', 'the connection failed')
    },
  },

  'integrations:link': {
    options: apiFlags,
    async run({ env, values, positionals }) {
      const [id, ...numberIds] = positionals
      if (!id || numberIds.length === 0)
        throw new UsageError('integrations:link takes the integration id and one or more number ids')
      const linked = await linkNumbersCommand(
        await companyApi(env, values),
        idArgument(id, 'integration id'),
        numberIds.map((n) => idArgument(n, 'number id')),
      )
      out(
        `Integration ${linked.id} ("${linked.name}") logs the calls of number(s) ${linked.number_ids.join(', ')}.`,
      )
    },
  },

  'integrations:rekey': {
    options: {},
    async run({ env, positionals }) {
      const { rekeyTokens } = await import('../services/integrations/rekey.ts')
      if (positionals.length > 0) throw new UsageError('integrations:rekey takes no argument')
      const result = await withTarget(
        env,
        async (target) =>
          target.kind === 'direct'
            ? rekeyTokens((await target.deps()).db, env)
            : ((await target.call('POST', '/integrations/rekey')) as RekeyResult), // the hub answers rekeyTokens' result
      )
      for (const line of formatRekey(result)) out(line)
    },
  },

  'crm:activities': {
    options: { ...apiFlags, json: { type: 'boolean', default: false } },
    async run({ env, values, positionals }) {
      const [id, extra] = positionals
      if (!id || extra) throw new UsageError('crm:activities takes one argument: the integration id')
      const got = await sandboxActivitiesCommand(
        await companyApi(env, values),
        idArgument(id, 'integration id'),
      )
      if (values.json === true) out(JSON.stringify(got))
      else for (const line of formatActivities(got)) out(line)
    },
  },

  simulate: {
    options: simulateFlags,
    async run({ env, values, positionals }) {
      const options = parseSimulateArgs(values, positionals)
      const keyText = typeof values['api-key'] === 'string' ? values['api-key'] : process.env.SB_API_KEY
      const key = keyText ? parseApiKey(keyText) : null
      if (!key)
        throw new UsageError(
          '--api-key <api_id>:<api_token> (or SB_API_KEY) is required: the company whose number is called (sb setup and sb demo print one)',
        )
      const api = createHubApi({ base: await hubBaseUrl(env, values.hub), ...key })
      const tty = process.stderr.isTTY === true
      // Ctrl-C (or SIGTERM / SIGHUP): no more calls, the callers in flight hang up, the devices
      // are put back and the summary printed; exit 130 (143, 129). Pressed again, it stops at
      // once. One press can arrive twice (`npm run` passes it on to sb, which has it already).
      const stop = new AbortController()
      let stoppedAt = 0
      let stoppedBy: NodeJS.Signals = 'SIGINT'
      const interrupt = (signal: NodeJS.Signals) => {
        if (!stop.signal.aborted) {
          stoppedAt = Date.now()
          stoppedBy = signal
          stop.abort()
          process.stderr.write(
            '\nstopping: the callers in flight hang up, the simulated devices are put back (Ctrl-C again: quit now)\n',
          )
        } else if (Date.now() - stoppedAt > 1000) process.exit(exitCodeOfSignal(signal))
      }
      const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
      for (const signal of signals) process.on(signal, interrupt)
      const summary = await runSimulation(api, options, {
        onProgress: tty ? (s) => process.stderr.write(`\r\x1b[2K${progressLine(s)}`) : undefined,
        signal: stop.signal,
      }).finally(() => {
        for (const signal of signals) process.off(signal, interrupt)
      })
      if (tty) process.stderr.write('\n')
      if (options.json) out(JSON.stringify(summary))
      else for (const line of formatSummary(summary)) out(line)
      if (summary.interrupted) throw new Interrupted(exitCodeOfSignal(stoppedBy))
      if (summary.failed + summary.busy === summary.calls)
        throw new DomainError(
          'unavailable',
          `no call could be placed: ${summary.errors[0] ?? (summary.busy > 0 ? 'the hub was saturated and refused them' : 'see above')}`,
        )
    },
  },
}

async function companyApi(env: Env, values: Record<string, unknown>) {
  const keyText = typeof values['api-key'] === 'string' ? values['api-key'] : process.env.SB_API_KEY
  const key = keyText ? parseApiKey(keyText) : null
  if (!key)
    throw new UsageError(
      '--api-key <api_id>:<api_token> (or SB_API_KEY) is required: an API key of the company (sb setup and sb demo print one)',
    )
  return createHubApi({ base: await hubBaseUrl(env, values.hub), ...key })
}

/** An id given on the command line: a positive integer that fits the database's int. */
function idArgument(text: string, what: string): number {
  const id = /^\d{1,10}$/.test(text) ? Number(text) : 0
  if (id < 1 || id > 2_147_483_647) throw new UsageError(`<${what}> must be an id like 42 (got "${text}")`)
  return id
}

/** Where the hub's HTTP API is: --hub, the hub running on DATA_DIR, PUBLIC_URL, or localhost:PORT. */
async function hubBaseUrl(env: Env, flag: unknown): Promise<string> {
  if (typeof flag === 'string' && flag.trim()) {
    if (!/^https?:\/\/[^\s]+$/.test(flag.trim())) throw new UsageError('--hub must be an http(s) URL')
    return flag.trim().replace(/\/+$/, '')
  }
  if (!env.DATABASE_URL && liveLockHolder(env.DATA_DIR) !== null) {
    try {
      const status = await adminRequest(adminSocketPath(env.DATA_DIR), 'GET', '/status', undefined, 5_000)
      const url = (status.body as { url?: unknown } | null)?.url
      if (typeof url === 'string' && url) return url.replace(/\/+$/, '')
    } catch {
      // no answer on the socket: fall back on the settings
    }
  }
  return env.PUBLIC_URL?.replace(/\/+$/, '') ?? `http://localhost:${env.PORT}`
}

/** A number id given on the command line: a positive integer that fits the database's int. */
function numberIdArgument(text: string): number {
  const id = /^\d{1,10}$/.test(text) ? Number(text) : 0
  if (id < 1 || id > 2_147_483_647)
    throw new UsageError(`<number id> must be a number id like 42 (got "${text}"; see numbers:pending)`)
  return id
}

/** Argument problems found by the shared validators are usage errors naming the flag or argument. */
function parseFlags<T>(parse: () => T, positionals: string[] = []): T {
  try {
    return parse()
  } catch (err) {
    if (err instanceof DomainError && err.code === 'bad_request') {
      if (!err.field) throw new UsageError(err.message)
      throw new UsageError(
        positionals.includes(err.field) ? `<${err.message.replace(' ', '> ')}` : `--${err.message}`,
      )
    }
    throw err
  }
}

async function withTarget<T>(env: Env, work: (target: AdminTarget) => Promise<T>): Promise<T> {
  const [{ createLogger }, { openAdminTarget }] = await Promise.all([
    import('../core/logger.ts'),
    import('./admin-target.ts'),
  ])
  const logger = createLogger(process.env.LOG_LEVEL ? env.LOG_LEVEL : 'warn')
  const target = await openAdminTarget(env, logger)
  try {
    return await work(target)
  } finally {
    await target.close()
  }
}

export async function runCli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    out(USAGE)
    return name ? 0 : 2
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined
  if (!command) {
    process.stderr.write(`sb: unknown command "${name}"\n\n${USAGE}\n`)
    return 2
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    out(USAGE)
    return 0
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      options: command.options,
      allowPositionals: true,
      strict: true,
    })
    const env = parseEnv()
    await command.run({ env, values, positionals })
    return 0
  } catch (err) {
    if (err instanceof Interrupted) return err.exitCode
    if (err instanceof UsageError) {
      process.stderr.write(`sb ${name}: ${err.message}\nRun "npm run sb -- --help" for usage.\n`)
      return 2
    }
    if (err instanceof EnvError) {
      process.stderr.write(`sb: ${err.message}\n`)
      return 2
    }
    if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`sb ${name}: ${err.message}\nRun "npm run sb -- --help" for usage.\n`)
      return 2
    }
    if (err instanceof DomainError) {
      process.stderr.write(`sb ${name}: ${err.message}\n`)
      return exitCodeOf(err.code)
    }
    // Internal errors: the message, and the stack trace only when asked for (LOG_LEVEL=debug).
    const detail =
      err instanceof Error ? (process.env.LOG_LEVEL === 'debug' ? err.stack : err.message) : String(err)
    process.stderr.write(`sb ${name}: failed: ${detail}\n`)
    return 1
  }
}

const code = await runCli(process.argv.slice(2))
process.exitCode = code
// Everything is closed by now; if a driver still holds a handle, do not hang the shell.
setTimeout(() => process.exit(code), 2_000).unref()
