/**
 * `npm run bench -- events [--mode embedded|postgres-redis] [--events 6000] [--cpu-prof <dir>]`:
 * the event pipeline (outbox → relay → queue → webhook delivery) to one keep-alive receiver
 * in this process, on both ways the hub runs (support/targets.ts):
 * - throughput: a hub with HUB_ROLE=web (no workers) records --events contact.created events
 *   through the API; it is then restarted with HUB_ROLE=all and the backlog drains. Deliveries
 *   per second = events / (last delivery − first delivery) at the receiver.
 * - another company: while that backlog drains, a second company (seeded before the hub
 *   starts, its own webhook) posts a contact every 50 ms; each of its events' lag is its arrival
 *   minus the moment its POST was sent: how long one company's burst holds up the others.
 * - lag: the same hub takes POST /v1/contacts at a steady 200 per second for 15 s; each
 *   event's lag is its arrival at the receiver minus the moment its request was sent (so the
 *   API's own latency is included: an upper bound of commit → receiver).
 */
import { Agent, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { createCompanyWithAdmin } from '../src/services/company/create-company.ts'
import { basicAuth } from '../test/e2e/processes.ts'
import { withAdmin } from './support/call-center.ts'
import { postJson } from './support/http.ts'
import { treesCpuSeconds } from './support/process-stats.ts'
import { describeMachine, type Mode, modes, phoneOf, say, sendAll, startTarget } from './support/targets.ts'

const { values } = parseArgs({
  options: {
    mode: { type: 'string' },
    events: { type: 'string', default: '6000' },
    rate: { type: 'string', default: '200' },
    'lag-seconds': { type: 'string', default: '15' },
    'cpu-prof': { type: 'string' },
  },
})
const EVENTS = Number(values.events)
const RATE = Number(values.rate)
const LAG_SECONDS = Number(values['lag-seconds'])
const selected: Mode[] = values.mode ? [values.mode as Mode] : [...modes]
for (const m of selected) if (!modes.includes(m)) throw new Error(`--mode: one of ${modes.join(', ')}`)

type Arrival = { at: number; deliveryId: string; contactId: number; information: string | null }
let arrivals: Arrival[] = []
/** The second company's events (path /hooks/other): arrival and the moment their POST was sent. */
let otherArrivals: { at: number; sent: number }[] = []
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    const at = Date.now()
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
      data: { id: number; information: string | null }
    }
    if (req.url === '/hooks/other') {
      otherArrivals.push({ at, sent: Number(body.data.information?.slice(5)) })
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
      return
    }
    arrivals.push({
      at,
      deliveryId: String(req.headers['x-switchboard-delivery']),
      contactId: body.data.id,
      information: body.data.information,
    })
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
  })
})
receiver.keepAliveTimeout = 30_000
await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done))
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!

type ModeResult = {
  mode: Mode
  perSec: number
  delivered: number
  duplicates: number
  lagP50: number
  lagP99: number
  lagLost: number
  /** p99 of arrival minus the moment the POST's answer came back (a lower bound of commit → receiver). */
  answerP99: number
  /** POST /v1/contacts per second the hub actually took (the target rate, or less when it cannot). */
  achieved: number
  /** CPU seconds the hub and its servers used while draining. */
  drainCpuSec: number
  /** The other company's events during the drain: lags from send (ms, sorted), and how many were sent. */
  otherLags: number[]
  otherSent: number
}
const results: ModeResult[] = []

async function waitFor(count: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (new Set(arrivals.map((a) => a.deliveryId)).size < count && Date.now() < deadline) await sleep(50)
}

for (const mode of selected) {
  say(`${mode}: starting a web-only hub`)
  let otherAuth = ''
  const target = await startTarget(mode, {
    role: 'web',
    cpuProfDir: values['cpu-prof'],
    prepare: async ({ dataDir, env }) => {
      const other = await withAdmin(dataDir, env, (deps) =>
        createCompanyWithAdmin(deps.db, deps.clock, {
          company: 'Other',
          email: 'other@example.test',
          password: 'other-password-1',
        }),
      )
      otherAuth = basicAuth(other.api_id, other.api_token)
    },
  })
  try {
    const otherHook = await fetch(`${target.url}/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: otherAuth, 'content-type': 'application/json' },
      body: JSON.stringify({ url: `${receiverUrl}/other`, events: ['contact.created'] }),
    })
    if (otherHook.status !== 201)
      throw new Error(`POST /v1/webhooks: ${otherHook.status} ${await otherHook.text()}`)
    const hook = await fetch(`${target.url}/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: target.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiverUrl, events: ['contact.created'] }),
    })
    if (hook.status !== 201) throw new Error(`POST /v1/webhooks: ${hook.status} ${await hook.text()}`)
    say(`${mode}: recording ${EVENTS} events with no worker running`)
    await sendAll(target, EVENTS, 32, (i) => ({
      method: 'POST',
      path: '/v1/contacts',
      body: {
        first_name: 'Event',
        last_name: `E${i}`,
        phone_numbers: [{ label: 'Work', value: phoneOf(i) }],
      },
    }))
    arrivals = []
    otherArrivals = []
    say(`${mode}: restarting as HUB_ROLE=all; draining the backlog`)
    await target.restart({ HUB_ROLE: 'all' })
    // CPU from the restarted hub being healthy to the backlog drained (its start excluded).
    const cpuBefore = treesCpuSeconds(target.serverPids())
    // Meanwhile the other company's events, one every 50 ms.
    let drained = false
    let otherSent = 0
    const otherAgent = new Agent({ keepAlive: true, maxSockets: 4 })
    const otherPosts = (async () => {
      const posts: Promise<unknown>[] = []
      for (let k = 0; !drained; k++) {
        const body = JSON.stringify({
          first_name: 'Other',
          information: `sent:${Date.now()}`,
          phone_numbers: [{ label: 'Work', value: phoneOf(EVENTS + 100_000 + k) }],
        })
        posts.push(postJson(`${target.url}/v1/contacts`, otherAuth, body, otherAgent).catch(() => undefined))
        otherSent++
        await sleep(50)
      }
      await Promise.all(posts)
    })()
    await waitFor(EVENTS, 600_000)
    const drainCpuSec = treesCpuSeconds(target.serverPids()) - cpuBefore
    drained = true
    await otherPosts
    otherAgent.destroy()
    const otherDeadline = Date.now() + 10_000
    while (otherArrivals.length < otherSent && Date.now() < otherDeadline) await sleep(50)
    const otherLags = otherArrivals.map((a) => a.at - a.sent).sort((a, b) => a - b)
    const unique = new Set(arrivals.map((a) => a.deliveryId)).size
    const first = arrivals[0]?.at ?? 0
    const last = arrivals.reduce((m, a) => Math.max(m, a.at), 0)
    const duplicates = arrivals.length - unique
    const perSec = unique > 1 ? ((unique - 1) * 1000) / Math.max(1, last - first) : 0
    say(`${mode}: ${unique} of ${EVENTS} delivered in ${last - first} ms: ${perSec.toFixed(0)}/s`)

    arrivals = []
    const total = RATE * LAG_SECONDS
    say(`${mode}: ${RATE} events/s for ${LAG_SECONDS} s`)
    const started = Date.now()
    // At most 50 connections, as the API runs: past the hub's capacity, requests wait in this
    // client, and that wait counts in their lag.
    const agent = new Agent({ keepAlive: true, maxSockets: 50 })
    let failedSends = 0
    const answeredAt = new Map<number, number>()
    const sends: Promise<void>[] = []
    for (let k = 0; k < total; k++) {
      const due = started + (k * 1000) / RATE
      const wait = due - Date.now()
      if (wait > 0) await sleep(wait)
      const sent = Date.now()
      const body = JSON.stringify({
        first_name: 'Lag',
        information: `sent:${sent}`,
        phone_numbers: [{ label: 'Work', value: phoneOf(EVENTS + k) }],
      })
      sends.push(
        postJson(`${target.url}/v1/contacts`, target.auth, body, agent).then(
          ({ status, text }) => {
            if (status !== 201) failedSends++
            else answeredAt.set((JSON.parse(text) as { contact: { id: number } }).contact.id, Date.now())
          },
          () => {
            failedSends++
          },
        ),
      )
    }
    await Promise.all(sends)
    agent.destroy()
    if (failedSends > 0) say(`${mode}: ${failedSends} of ${total} POST /v1/contacts failed`)
    await waitFor(total, 60_000)
    const measured = arrivals.filter((a) => a.information?.startsWith('sent:'))
    // The commit happens between the request's send and its answer: the lag from the send is an
    // upper bound (it includes the API's own latency), the lag from the answer a lower one.
    const lags = measured.map((a) => a.at - Number(a.information!.slice(5))).sort((a, b) => a - b)
    const fromAnswer = measured
      .filter((a) => answeredAt.has(a.contactId))
      .map((a) => a.at - answeredAt.get(a.contactId)!)
      .sort((a, b) => a - b)
    const achieved = (total - failedSends) / Math.max(1, (Math.max(...answeredAt.values()) - started) / 1000)
    results.push({
      mode,
      perSec,
      drainCpuSec,
      delivered: unique,
      duplicates,
      lagP50: percentile(lags, 50),
      lagP99: percentile(lags, 99),
      lagLost: total - lags.length,
      answerP99: percentile(fromAnswer, 99),
      achieved,
      otherLags,
      otherSent,
    })
    say(
      `${mode}: lag p50 ${percentile(lags, 50)} ms, p99 ${percentile(lags, 99)} ms, ${total - lags.length} missing`,
    )
  } finally {
    await target.stop()
  }
}

receiver.closeAllConnections()
receiver.close()

const targets: Record<Mode, number> = { embedded: 1000, 'postgres-redis': 2000 }
console.log(`# ${describeMachine()}; one receiver in the benchmark process; ${EVENTS} events drained`)
for (const r of results) {
  console.log(
    `events.${r.mode}: ${Math.round(r.perSec)} deliveries/s (target >= ${targets[r.mode]}) [${r.delivered} of ${EVENTS} delivered, ${r.duplicates} twice; ${Math.round(r.delivered / r.drainCpuSec)} deliveries per CPU-second of the hub and its servers]`,
  )
}
const worst = results.reduce<ModeResult | undefined>((w, r) => (!w || r.lagP99 > w.lagP99 ? r : w), undefined)
if (worst) {
  console.log(
    `events.lag-p99: ${worst.lagP99} ms (target < 1000) [${RATE} events/s; worst: ${worst.mode}; ${results
      .map(
        (r) =>
          `${r.mode}: ${Math.round(r.achieved)} events/s taken, from send p50 ${r.lagP50} ms / p99 ${r.lagP99} ms, from answer p99 ${r.answerP99} ms, ${r.lagLost} not delivered`,
      )
      .join('; ')}]`,
  )
}
const fairest = results.reduce<ModeResult | undefined>(
  (w, r) => (!w || percentile(r.otherLags, 99) > percentile(w.otherLags, 99) ? r : w),
  undefined,
)
if (fairest) {
  console.log(
    `events.other-company-lag-p99: ${percentile(fairest.otherLags, 99)} ms (target < 1000, as events.lag-p99) [another company's events while the ${EVENTS}-event backlog drains, one every 50 ms; worst: ${fairest.mode}; ${results
      .map(
        (r) =>
          `${r.mode}: p50 ${percentile(r.otherLags, 50)} ms, max ${r.otherLags.at(-1)} ms, ${r.otherLags.length} of ${r.otherSent} delivered`,
      )
      .join('; ')}]`,
  )
}
process.exit(0)
