/**
 * `npm run bench -- api [--mode embedded|postgres-redis] [--duration 15] [--cpu-prof <dir>]`:
 * the API's hot paths under 50 keep-alive connections for 15 s each, on both ways the hub runs
 * (see support/targets.ts), side by side:
 * - read:   GET /v1/users on a company of 200 users (first page)
 * - search: GET /v1/contacts/search?phone_number=… on a company of 10,000 contacts
 * - write:  POST /v1/contacts (one contact with one phone number; each one is an outbox event)
 * Embedded, after the runs: `rss.embedded`, the memory of the hub and its PostgreSQL together,
 * and `start.embedded`, ms from launching `npm start`'s process on that data to a healthy
 * /healthz (median of 3).
 * Every figure is printed as `name: value unit (target …)`; the load generator shares the
 * hub's cores.
 */
import { parseArgs } from 'node:util'
import { startHub } from '../test/e2e/processes.ts'
import { type LoadResult, load } from './support/load.ts'
import { treeMemoryMb, treesCpuSeconds } from './support/process-stats.ts'
import { describeMachine, type Mode, modes, phoneOf, say, sendAll, startTarget } from './support/targets.ts'

const { values } = parseArgs({
  options: {
    mode: { type: 'string' },
    duration: { type: 'string', default: '15' },
    connections: { type: 'string', default: '50' },
    'cpu-prof': { type: 'string' },
  },
})
const durationSec = Number(values.duration)
const connections = Number(values.connections)
const selected: Mode[] = values.mode ? [values.mode as Mode] : [...modes]
for (const m of selected) if (!modes.includes(m)) throw new Error(`--mode: one of ${modes.join(', ')}`)

const USERS = 200
const CONTACTS = 10_000

const results: { name: string; mode: Mode; result: LoadResult; cpuSec: number }[] = []
let memory: { pssMb: number; processes: number; rootMb: number } | undefined
let startMs: number[] = []

/** ms from spawning `npm start`'s process on existing data to /healthz answering 200. */
async function timeStart(dataDir: string, env: Record<string, string>): Promise<number> {
  const began = performance.now()
  const hub = startHub(dataDir, 0, { env })
  try {
    for (;;) {
      if (hub.port !== 0) {
        const ok = await fetch(`http://127.0.0.1:${hub.port}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
        if (ok) return performance.now() - began
      }
      if (performance.now() - began > 120_000) throw new Error(`no /healthz after 120 s:\n${hub.output()}`)
      await new Promise((r) => setTimeout(r, 10))
    }
  } finally {
    await hub.stop('SIGTERM')
  }
}

for (const mode of selected) {
  say(`${mode}: starting the hub`)
  const target = await startTarget(mode, { cpuProfDir: values['cpu-prof'] })
  try {
    say(`${mode}: seeding ${USERS} users and ${CONTACTS} contacts`)
    // The company starts with its admin: 199 more make 200.
    await sendAll(target, USERS - 1, 10, (i) => ({
      method: 'POST',
      path: '/v1/users',
      body: { email: `agent${i}@bench.example`, first_name: 'Agent', last_name: `N${i}` },
    }))
    await sendAll(target, CONTACTS, 16, (i) => ({
      method: 'POST',
      path: '/v1/contacts',
      body: { first_name: 'Seed', last_name: `C${i}`, phone_numbers: [{ label: 'Work', value: phoneOf(i) }] },
    }))

    const runs: [string, (i: number) => { method: 'GET' | 'POST'; path: string; body?: string }][] = [
      ['read', () => ({ method: 'GET', path: '/v1/users' })],
      [
        'search',
        (i) => ({
          method: 'GET',
          path: `/v1/contacts/search?phone_number=${encodeURIComponent(phoneOf((i * 7919) % CONTACTS))}`,
        }),
      ],
      [
        'write',
        (i) => ({
          method: 'POST',
          path: '/v1/contacts',
          body: JSON.stringify({
            first_name: 'Load',
            last_name: `W${i}`,
            phone_numbers: [{ label: 'Mobile', value: phoneOf(CONTACTS + i) }],
          }),
        }),
      ],
    ]
    for (const [name, next] of runs) {
      await load({ url: target.url, auth: target.auth, connections: 10, durationSec: 3, next }) // warm-up
      say(`${mode}: ${name}, ${connections} connections, ${durationSec} s`)
      const cpuBefore = treesCpuSeconds(target.serverPids())
      const result = await load({ url: target.url, auth: target.auth, connections, durationSec, next })
      const cpuSec = treesCpuSeconds(target.serverPids()) - cpuBefore
      results.push({ name, mode, result, cpuSec })
      say(
        `${mode}: ${name}: ${result.requestsPerSec.toFixed(0)} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ${result.errors} errors of ${result.total}; servers used ${cpuSec.toFixed(1)} CPU-s`,
      )
    }
    if (mode === 'embedded') {
      const pid = target.hub.child.pid
      if (pid) memory = treeMemoryMb(pid)
      await target.hub.stop('SIGTERM')
      // npm start builds its bundle when the sources changed: once, before the timed starts.
      await timeStart(target.dataDir, target.env)
      startMs = []
      for (let i = 0; i < 3; i++) startMs.push(await timeStart(target.dataDir, target.env))
      say(`${mode}: starts on existing data: ${startMs.map((ms) => ms.toFixed(0)).join(', ')} ms`)
    }
  } finally {
    await target.stop()
  }
}

const targets: Record<string, number> = { read: 1500, search: 1500, write: 750 }
console.log(`# ${describeMachine()}; ${connections} connections, ${durationSec} s per run`)
for (const r of results) {
  console.log(
    `api.${r.name}.${r.mode}: ${Math.round(r.result.requestsPerSec)} req/s (target >= ${targets[r.name]}) [p50 ${r.result.p50Ms} ms, p99 ${r.result.p99Ms} ms, ${r.result.errors} errors; ${Math.round(r.result.total / r.cpuSec)} requests per CPU-second of the hub and its servers]`,
  )
}
const worst = results.reduce<(typeof results)[number] | undefined>(
  (w, r) => (!w || r.result.p99Ms > w.result.p99Ms ? r : w),
  undefined,
)
const errors = results.reduce((n, r) => n + r.result.errors, 0)
if (worst) {
  console.log(
    `api.p99: ${worst.result.p99Ms} ms, ${errors} errors (target < 100 ms, 0 errors) [worst: ${worst.name}.${worst.mode}]`,
  )
}
if (memory) {
  console.log(
    `rss.embedded: ${Math.round(memory.pssMb)} MB (target <= 300) [PSS of the hub and its PostgreSQL, ${memory.processes} processes, after the API runs: the hub's Node process ${Math.round(memory.rootMb)} MB, PostgreSQL ${Math.round(memory.pssMb - memory.rootMb)} MB]`,
  )
}
if (startMs.length > 0) {
  const sorted = [...startMs].sort((a, b) => a - b)
  console.log(
    `start.embedded: ${Math.round(sorted[1]!)} ms (target <= 2000) [npm start to /healthz on existing data, median of ${sorted.map(Math.round).join(', ')} ms]`,
  )
}
process.exit(0)
