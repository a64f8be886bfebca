import { createLogger, type Logger } from './core/logger.ts'
import { EmbeddedPostgresError } from './db/embedded-postgres.ts'
import type { HubDatabase } from './db/hub-database.ts'
import { DataDirLockedError } from './db/lock.ts'
import { type Env, EnvError, parseEnv } from './env.ts'
import type { RunningHub } from './server.ts'

/** Grace period for a graceful stop; past it the process exits anyway. */
const SHUTDOWN_TIMEOUT_MS = 15_000

const say = (line = '') => process.stdout.write(`${line}\n`)

function firstStepsText(env: Env, hub: RunningHub): string[] {
  // `sb` must reach the same data as this hub: repeat the settings that differ from defaults.
  const prefix = env.DATABASE_URL
    ? 'DATABASE_URL=<same as the hub> '
    : env.DATA_DIR !== './data'
      ? `DATA_DIR=${shellQuote(env.DATA_DIR)} `
      : ''
  const base = env.PUBLIC_URL?.replace(/\/$/, '') ?? hub.url ?? 'http://localhost:3000'
  return [
    'No company exists yet. Create the first one (with its admin user and an API key) with:',
    '',
    `  ${prefix}npm run sb -- setup --company "Acme" --email you@example.com --password 'at-least-10-characters'`,
    '',
    'It prints an api_id and an api_token (shown once). Then try the API:',
    '',
    `  curl -u <api_id>:<api_token> ${base}/v1/company`,
    '',
  ]
}

function shellQuote(value: string): string {
  return /^[\w./@:-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`
}

async function main(): Promise<void> {
  let env: Env
  try {
    env = parseEnv()
  } catch (err) {
    if (err instanceof EnvError) {
      process.stderr.write(`${err.message}\n`)
      process.exit(2)
    }
    throw err
  }
  const logger: Logger = createLogger(env.LOG_LEVEL)

  // Signals are handled from the first instant: a SIGTERM while the hub starts (the database
  // server already running, /healthz already answering) still stops everything in order, once
  // the start is complete, instead of killing the process and leaving the server behind.
  let starting: Promise<RunningHub | null> = Promise.resolve(null)
  let stopping = false
  const stop = (signal: NodeJS.Signals) => {
    // Ctrl-C reaches this process from the terminal and again through `npm start`'s wrappers:
    // the repeats are expected and ignored; the timeout below bounds the wait.
    if (stopping) return
    stopping = true
    say(`Received ${signal}, shutting down…`)
    setTimeout(() => {
      process.stderr.write('switchboard: shutdown took too long, exiting\n')
      process.exit(1)
    }, SHUTDOWN_TIMEOUT_MS).unref()
    starting
      .then((hub) => hub?.close())
      .then(
        () => {
          say('Switchboard stopped.')
          process.exit(0)
        },
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed')
          process.exit(1)
        },
      )
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
  process.on('SIGHUP', stop)

  let PortInUse: typeof import('./server.ts').PortInUseError | undefined
  starting = (async () => {
    // The database (lock, embedded server start, migrations) opens while the rest of the hub's
    // modules load: both take about as long, and one does not need the other until startHub.
    const database: Promise<HubDatabase> = import('./db/hub-database.ts').then((m) =>
      m.openHubDatabase(env, logger),
    )
    // Awaited in startHub; until then a failure must not count as an unhandled rejection.
    database.catch(() => {})
    const server = await import('./server.ts').catch(async (err: unknown) => {
      await database.then((opened) => opened.close()).catch(() => {})
      throw err
    })
    PortInUse = server.PortInUseError
    return server.startHub(env, logger, database)
  })()
  let hub: RunningHub
  try {
    hub = (await starting)!
  } catch (err) {
    if (
      err instanceof DataDirLockedError ||
      err instanceof EmbeddedPostgresError ||
      (PortInUse !== undefined && err instanceof PortInUse)
    ) {
      process.stderr.write(`switchboard: ${err.message}\n`)
    } else {
      logger.fatal({ err }, 'the hub could not start')
      process.stderr.write(
        `switchboard: could not start: ${err instanceof Error ? err.message : String(err)}\n`,
      )
    }
    process.exit(1)
  }
  if (stopping) return

  const where =
    hub.database === 'embedded' ? `embedded PostgreSQL in ${env.DATA_DIR}` : 'PostgreSQL (DATABASE_URL)'
  say('')
  if (hub.url) {
    say(`Switchboard is running at ${hub.url}  (role: ${env.HUB_ROLE}, ${where})`)
    say(`API reference: ${hub.url}/docs  ·  OpenAPI: ${hub.url}/v1/openapi.json`)
  } else {
    say(
      `Switchboard worker is running (role: ${env.HUB_ROLE}, ${where}); probes on port ${hub.port}: /healthz, /readyz`,
    )
  }
  say('')
  if (hub.companies === 0) for (const line of firstStepsText(env, hub)) say(line)
}

process.on('unhandledRejection', (reason) => {
  process.stderr.write(
    `switchboard: unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}\n`,
  )
  process.exit(1)
})

await main()
