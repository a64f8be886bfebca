/**
 * `npm run bench -- calls [--mode embedded|postgres-redis|postgres-redis-processes]
 *  [--agents 300] [--seconds 20] [--warmup 3] [--concurrency 240 | --rate <calls/s>]
 *  [--talk-ms 0-1000] [--strategy random] [--tagging] [--storm-at <s>] [--cpu-prof <dir>]`:
 * whole inbound calls through the call engine, on both ways the hub runs and on the scale
 * deployment, two web processes and a worker (support/targets.ts).
 * A company of --agents agents in one team, whose number's only distribution step rings the
 * team (`random` strategy by default: calls spread over the idle agents); every agent is
 * connected on its own WebSocket (/v1/realtime, agent token in the first frame). Simulated
 * callers dial the number through the sandbox carrier's API (POST /v1/sandbox/calls), either
 * --concurrency calls in flight (closed loop: a call is in flight from its POST to its
 * `call.ended` webhook) or --rate calls per second (open loop). Each agent's client answers
 * `call.ringing` at once, hangs up after a talk drawn uniformly from --talk-ms, and tags the
 * call when the number requires it (--tagging). A webhook on `call.ended` points at a receiver
 * in this process.
 * Measured over --seconds after --warmup:
 * - calls/s: calls whose `call.ended` webhook (sent once the call is finalized: its recording
 *   stored) reached the receiver within the window: the rate the hub sustains whole calls at.
 *   The calls whose `call.ended` frame reached the agent's client in the window are shown too:
 *   more of them than webhooks means finalization falls behind;
 * - finalization lag: from the agent's `call.ended` frame to the `call.ended` webhook;
 * - ring latency: from the moment the hub created the call (its `calls.started_at`, read from
 *   the database after the run; the hub and this process share the machine's clock) to the
 *   agent's client receiving `call.ringing`; the same from the POST's send is shown too;
 * - refused: 503 answers, the hub's back-pressure (services/calls/call-admission.ts: the caller
 *   would hear busy); a closed-loop caller refused dials again after the Retry-After second;
 * - errors: other non-201 answers, `error` frames, calls not ended within 30 s;
 * - webhooks: `call.ended` deliveries received for the calls that ended, and the call events the
 *   outbox recorded;
 * - calls per CPU-second of the hub and its database / Redis servers, from /proc;
 * - with --storm-at <s>, a reconnect storm that many seconds into the window: every agent's
 *   socket is dropped at once (a load balancer restarting, a network blip) and every client
 *   reconnects at once, with no back-off; how long until each, and all, are signed in again.
 *   The `hello` frame carries the agent's current call: a client answers the call still
 *   ringing for it and hangs up the one it is on, so the calls in progress end as usual.
 */
import { Agent, createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import type { ServerMessage } from '@switchboard/shared'
import WebSocket from 'ws'
import {
  type CallCenter,
  type CallRecords,
  type EndedSteps,
  readCallRecords,
  seedCallCenter,
} from './support/call-center.ts'
import { type DbStats, describeDbCost, hubDatabase, readDbStats } from './support/db-stats.ts'
import { postJson } from './support/http.ts'
import { processCpuSeconds, treesCpuSeconds } from './support/process-stats.ts'
import { type AnyMode, modes, phoneOf, say, startTarget } from './support/targets.ts'

const { values } = parseArgs({
  options: {
    mode: { type: 'string' },
    agents: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    concurrency: { type: 'string' },
    rate: { type: 'string' },
    'talk-ms': { type: 'string', default: '0-1000' },
    strategy: { type: 'string', default: 'random' },
    tagging: { type: 'boolean', default: false },
    'storm-at': { type: 'string' },
    'cpu-prof': { type: 'string' },
  },
})
const AGENTS = Number(values.agents)
const SECONDS = Number(values.seconds)
const WARMUP = Number(values.warmup)
const RATE = values.rate === undefined ? null : Number(values.rate)
const CONCURRENCY =
  values.concurrency === undefined ? Math.max(1, Math.floor(AGENTS * 0.8)) : Number(values.concurrency)
const [TALK_MIN, TALK_MAX] = (() => {
  const m = /^(\d+)(?:-(\d+))?$/.exec(values['talk-ms'])
  if (!m) throw new Error('--talk-ms: <ms> or <min>-<max>')
  return [Number(m[1]), Number(m[2] ?? m[1])] as const
})()
const STRATEGY = values.strategy as 'random' | 'longest_idle' | 'simultaneous'
if (!['random', 'longest_idle', 'simultaneous'].includes(STRATEGY))
  throw new Error('--strategy: random, longest_idle or simultaneous')
for (const [name, n] of Object.entries({ AGENTS, SECONDS, WARMUP, CONCURRENCY })) {
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name.toLowerCase()}: a number`)
}
if (RATE !== null && !(RATE > 0)) throw new Error('--rate: calls per second, > 0')
const STORM_AT = values['storm-at'] === undefined ? null : Number(values['storm-at'])
if (STORM_AT !== null && !(STORM_AT >= 0 && STORM_AT < SECONDS))
  throw new Error('--storm-at: seconds into the measured window, below --seconds')
/** The two ways the hub runs, and the scale deployment: 2 web processes and a worker. */
const callModes: AnyMode[] = [...modes, 'postgres-redis-processes']
const selected: AnyMode[] = values.mode ? [values.mode as AnyMode] : callModes
for (const m of selected)
  if (!callModes.includes(m)) throw new Error(`--mode: one of ${callModes.join(', ')}`)

/** A call will not take longer than this end to end (a ring times out after 20 s). */
const CALL_TIMEOUT_MS = 30_000

// ——— what the run observes ———

type Track = {
  /** When this process sent the POST, and when its 201 came back (Date.now, ms). */
  sentAt?: number
  answeredHttpAt?: number
  /** When the first `call.ringing` frame of the call reached an agent's client. */
  ringAt?: number
  /** When the call's `call.ended` frame reached the agent's client. */
  endedAt?: number
  /** Called when the call's `call.ended` webhook arrives: the call is whole. */
  ended?: () => void
}

type Run = {
  tracks: Map<number, Track>
  errors: Map<string, number>
  /**
   * Each POST answered 201 (placed) or 503 (refused by the hub's back-pressure): when it came
   * back and how long it took (ms).
   */
  answers: { at: number; ms: number; placed: boolean }[]
  /** `call.ringing` frames to an agent already on another call (two calls picked the same agent). */
  ringsWhileOnCall: number
  ringStopped: number
  /** Answers refused because the ring had stopped meanwhile (the agent answered another call). */
  lateAnswers: number
  /** Agents on two calls at once (both answers went through). */
  onTwoCalls: number
  /** Hang-ups sent again after a reconnect that the hub refused: the first had gone through. */
  hangUpsAgainRefused: number
  /** When each call's `call.ended` webhook arrived (the first delivery). */
  webhookEnded: Map<number, number>
}
let run: Run = newRun()
function newRun(): Run {
  return {
    tracks: new Map(),
    errors: new Map(),
    answers: [],
    ringsWhileOnCall: 0,
    ringStopped: 0,
    lateAnswers: 0,
    onTwoCalls: 0,
    hangUpsAgainRefused: 0,
    webhookEnded: new Map(),
  }
}
const track = (callId: number) => {
  let t = run.tracks.get(callId)
  if (!t) {
    t = {}
    run.tracks.set(callId, t)
  }
  return t
}
const countError = (what: string) => run.errors.set(what, (run.errors.get(what) ?? 0) + 1)

// ——— the webhook receiver ———

const receiver = createServer((req, res) => {
  const chunks: Buffer[] = []
  req.on('data', (c: Buffer) => chunks.push(c))
  req.on('end', () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
        event: string
        data: { id: number }
      }
      if (body.event === 'call.ended' && !run.webhookEnded.has(body.data.id)) {
        run.webhookEnded.set(body.data.id, Date.now())
        run.tracks.get(body.data.id)?.ended?.()
      }
    } catch {
      countError('webhook: unreadable body')
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
  })
})
receiver.keepAliveTimeout = 30_000
await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done))
const receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`

// ——— the agents' clients ———

type AgentClient = {
  userId: number
  url: string
  ws: WebSocket
  onCall: Set<number>
  /** Calls this client sent its answer for, and its hang-up. */
  answered: Set<number>
  hungUp: Set<number>
  stopped: Set<number>
}

function talkMs(): number {
  return TALK_MIN + Math.random() * (TALK_MAX - TALK_MIN)
}

/**
 * Connects one agent (again, with `client`: after a drop) and resolves on `hello`; from then on
 * it answers, hangs up and tags.
 */
function connectAgent(
  url: string,
  agent: CallCenter['agents'][number],
  tagId: number,
  again?: AgentClient,
): Promise<AgentClient> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/realtime`)
  const client: AgentClient = again ?? {
    userId: agent.userId,
    url,
    ws,
    onCall: new Set(),
    answered: new Set(),
    hungUp: new Set(),
    stopped: new Set(),
  }
  client.ws = ws
  const send = (frame: unknown) => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame))
  }
  /**
   * Hangs up after the talk; a hang-up due while the socket is down waits for the next one, as
   * long as a call lasts at most (the sockets closed for good at the end of a mode).
   */
  const hangUpLater = (id: number, ms: number, again = false, until = Date.now() + ms + CALL_TIMEOUT_MS) =>
    setTimeout(() => {
      if (!client.onCall.has(id) || Date.now() > until) return
      if (client.ws.readyState !== WebSocket.OPEN) return hangUpLater(id, 50, again, until)
      client.hungUp.add(id)
      const ref = `${again ? 'rehangup' : 'hangup'}:${id}`
      client.ws.send(JSON.stringify({ type: 'hangup', call_id: id, ref }))
    }, ms)
  return new Promise((resolve, reject) => {
    ws.once('open', () => send({ type: 'auth', v: 1, token: agent.token }))
    ws.once('error', reject)
    ws.once('close', (code) => reject(new Error(`agent ${agent.userId}: closed ${code} before hello`)))
    ws.on('message', (data) => {
      const at = Date.now()
      const frame = JSON.parse(data.toString()) as ServerMessage
      switch (frame.type) {
        case 'hello': {
          ws.removeAllListeners('close')
          ws.on('close', (code) => {
            // 1006: this process terminated it (the end of the run, a reconnect storm).
            if (code !== 1000 && code !== 1005 && code !== 1006) countError(`socket closed ${code}`)
          })
          // After a drop, the hub's word on the agent's call stands. The calls the client
          // thought it was on have ended meanwhile (their frames lost), but the one in `hello`;
          // that one, still ringing, is answered; answered, it is hung up in its turn, or at
          // once if the hang-up went out as the socket dropped (and was lost with it).
          const now = frame.call
          for (const set of [client.onCall, client.answered, client.hungUp])
            for (const id of set) if (id !== now?.call_id) set.delete(id)
          if (now?.status === 'ringing') {
            track(now.call_id).ringAt ??= at
            client.answered.add(now.call_id)
            send({ type: 'answer', call_id: now.call_id, ref: `reanswer:${now.call_id}` })
          }
          if (now?.status === 'answered') {
            if (client.hungUp.has(now.call_id)) hangUpLater(now.call_id, 0, true)
            else if (!client.onCall.has(now.call_id)) {
              client.onCall.add(now.call_id)
              hangUpLater(now.call_id, talkMs())
            }
          }
          resolve(client)
          return
        }
        case 'ping':
          send({ type: 'pong', ref: frame.ref })
          return
        case 'call.ringing': {
          const id = frame.call.call_id
          const t = track(id)
          t.ringAt ??= at
          if (client.onCall.size > 0) run.ringsWhileOnCall++
          // Answered already from hello (the ring frame was published as the agent signed in).
          if (client.answered.has(id)) return
          client.answered.add(id)
          send({ type: 'answer', call_id: id, ref: `answer:${id}` })
          return
        }
        case 'call.answered': {
          const id = frame.call.call_id
          if (client.onCall.has(id)) return // sent again on a change (recording paused / resumed)
          if (client.onCall.size > 0) run.onTwoCalls++
          client.onCall.add(id)
          hangUpLater(id, talkMs())
          return
        }
        case 'call.ended': {
          const id = frame.call.call_id
          for (const set of [client.onCall, client.answered, client.hungUp]) set.delete(id)
          const t = track(id)
          t.endedAt ??= at
          return
        }
        case 'call.tag_required':
          send({ type: 'tag', call_id: frame.call_id, tag_ids: [tagId], ref: `tag:${frame.call_id}` })
          return
        case 'call.ring_stopped':
          run.ringStopped++
          client.stopped.add(frame.call_id)
          return
        case 'error': {
          // Two calls routed at the same moment may both ring an agent: once they answer one,
          // the other stops ringing them, and the answer this client sent it meanwhile is refused.
          const [kind, callId] = (frame.ref ?? '').split(':')
          // After a drop, the ring may have stopped while the socket was down.
          const stopped = client.stopped.has(Number(callId)) || kind === 'reanswer'
          if ((kind === 'answer' || kind === 'reanswer') && frame.code === 'not_allowed' && stopped) {
            run.lateAnswers++
            return
          }
          // A hang-up sent again after a drop, for a call whose first hang-up the hub was still
          // applying as it signed the agent in again: the call has ended.
          if (kind === 'rehangup' && frame.code === 'not_allowed') {
            run.hangUpsAgainRefused++
            return
          }
          countError(`error frame: ${kind || '(no ref)'} ${frame.code}`)
          return
        }
        default:
          return
      }
    })
  })
}

/** Every agent signs in, spread over the web processes (agent k to the k-th, in turn). */
async function connectAll(urls: readonly string[], center: CallCenter): Promise<AgentClient[]> {
  const out: AgentClient[] = []
  // 25 handshakes at a time: the hub signs each in (a query or two, presence, a nudge).
  for (let i = 0; i < center.agents.length; i += 25) {
    out.push(
      ...(await Promise.all(
        center.agents
          .slice(i, i + 25)
          .map((a, j) => connectAgent(urls[(i + j) % urls.length]!, a, center.tagId)),
      )),
    )
  }
  return out
}

type Storm = {
  dropped: number
  backMs: number[]
  allBackMs: number
  retries: number
  failed: number
  hangUpsAgainRefused?: number
}

/**
 * Drops every agent's socket at once and reconnects every client at once; each client that
 * fails to sign in tries again after a second (up to five times), as a real client backs off.
 */
async function reconnectStorm(clients: readonly AgentClient[], center: CallCenter): Promise<Storm> {
  const byUser = new Map(center.agents.map((a) => [a.userId, a]))
  const began = Date.now()
  for (const c of clients) c.ws.terminate()
  let retries = 0
  let failed = 0
  const backMs = await Promise.all(
    clients.map(async (c) => {
      for (let attempt = 0; attempt < 6; attempt++) {
        if (attempt > 0) {
          retries++
          await sleep(1000)
        }
        try {
          await connectAgent(c.url, byUser.get(c.userId)!, center.tagId, c)
          return Date.now() - began
        } catch {
          // closed or refused before hello: try again
        }
      }
      failed++
      countError('agent not signed in again after the storm')
      return Number.NaN
    }),
  )
  const back = backMs.filter((ms) => !Number.isNaN(ms)).sort((a, b) => a - b)
  return { dropped: clients.length, backMs: back, allBackMs: back.at(-1) ?? Number.NaN, retries, failed }
}

// ——— the simulated callers ———

let callerSeq = 0
/**
 * Places one call; resolves with its id once the hub answered 201, 'refused' for a 503 (the
 * hub's back-pressure), null on another failure.
 */
async function placeCall(
  url: string,
  auth: string,
  to: string,
  agent: Agent,
): Promise<number | 'refused' | null> {
  const body = JSON.stringify({ from: phoneOf(callerSeq++ % 1_000_000), to })
  const sentAt = Date.now()
  try {
    const res = await postJson(`${url}/v1/sandbox/calls`, auth, body, agent)
    const answeredAt = Date.now()
    if (res.status === 201 || res.status === 503)
      run.answers.push({ at: answeredAt, ms: answeredAt - sentAt, placed: res.status === 201 })
    if (res.status === 503) {
      return 'refused'
    }
    if (res.status !== 201) {
      countError(`POST /v1/sandbox/calls ${res.status}`)
      return null
    }
    const id = (JSON.parse(res.text) as { call: { id: number } }).call.id
    const t = track(id)
    t.sentAt = sentAt
    t.answeredHttpAt = Date.now()
    return id
  } catch (err) {
    countError(`POST /v1/sandbox/calls: ${err instanceof Error ? err.message : String(err)}`)
    return null
  }
}

/** Until the call's `call.ended` webhook arrives: its events are out, its recording stored. */
function untilEnded(id: number): Promise<void> {
  const t = track(id)
  if (run.webhookEnded.has(id)) return Promise.resolve()
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      t.ended = undefined
      countError('call not ended within 30 s')
      resolve()
    }, CALL_TIMEOUT_MS)
    t.ended = () => {
      clearTimeout(timer)
      t.ended = undefined
      resolve()
    }
  })
}

/** The hub's steps from hang-up to delivery of the calls given, each sorted. */
function stepsOf(steps: readonly (EndedSteps | undefined)[]): ModeResult['endedSteps'] {
  const out: ModeResult['endedSteps'] = { finalize: [], relay: [], deliver: [] }
  for (const s of steps) {
    if (!s) continue
    out.finalize.push(s.finalized - s.hungUp)
    if (s.relayed !== null) out.relay.push(s.relayed - s.finalized)
    if (s.relayed !== null && s.delivered !== null) out.deliver.push(s.delivered - s.relayed)
  }
  for (const list of Object.values(out)) list.sort((a, b) => a - b)
  return out
}

const stepText = (sorted: number[]) => `${percentile(sorted, 50)} / ${percentile(sorted, 99)} ms`

/**
 * The open loop's connections to each web process: a bounded pool of kept-alive connections,
 * as a reverse proxy or a carrier's webhook client holds. Not one per call in flight: Node
 * accepts one new connection per turn of its event loop (libuv 1.45+), so a saturated hub
 * took 6–24 new connections a second, and calls sent on new connections waited 15–20 s in
 * its accept queue before it read them (measured 2026-12-07; see BENCHMARKS.md).
 */
const OPEN_LOOP_SOCKETS = 128

/** Places calls until `stopAt`: closed loop (CONCURRENCY in flight) or open loop (RATE per second). */
async function placeCalls(urls: readonly string[], auth: string, to: string, stopAt: number): Promise<void> {
  // The calls go to the web processes in turn, as a load balancer would send them.
  let turn = 0
  const next = () => urls[turn++ % urls.length]!
  const agent = new Agent({
    keepAlive: true,
    maxSockets: RATE === null ? CONCURRENCY : OPEN_LOOP_SOCKETS,
  })
  const inFlight: Promise<void>[] = []
  try {
    if (RATE === null) {
      const worker = async () => {
        while (Date.now() < stopAt) {
          const id = await placeCall(next(), auth, to, agent)
          if (id === 'refused') await sleep(1000)
          else if (id === null) await sleep(50)
          else await untilEnded(id)
        }
      }
      await Promise.all(Array.from({ length: CONCURRENCY }, worker))
    } else {
      const started = Date.now()
      for (let k = 0; ; k++) {
        const due = started + (k * 1000) / RATE
        if (due >= stopAt) break
        const wait = due - Date.now()
        if (wait > 0) await sleep(wait)
        inFlight.push(
          placeCall(next(), auth, to, agent).then((id) =>
            typeof id === 'number' ? untilEnded(id) : undefined,
          ),
        )
      }
      await Promise.all(inFlight)
    }
  } finally {
    agent.destroy()
  }
}

// ——— one mode ———

const percentile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!

type ModeResult = {
  mode: AnyMode
  perSec: number
  /** Calls whose call.ended webhook arrived in the window. */
  completed: number
  /** Calls whose call.ended frame reached the agent in the window. */
  hungUp: number
  /** calls/s in the first and second half of the window (webhooks). */
  halves: number[]
  /** Agent's call.ended frame → call.ended webhook, for the calls hung up in the window. */
  endedLag: number[]
  /** Of the calls hung up in the window, those whose webhook never came. */
  endedLagMissing: number
  /** For the calls hung up in the window: the hub's steps from the hang-up to the webhook, sorted (ms). */
  endedSteps: { finalize: number[]; relay: number[]; deliver: number[] }
  placed: number
  /** Calls refused (503, back-pressure) in the window. */
  refused: number
  ringFromCreated: number[]
  ringFromSend: number[]
  /** How long the POSTs answered in the window took, sorted (ms): calls placed, calls refused. */
  answerMs: { placed: number[]; refused: number[] }
  notRung: number
  errors: Map<string, number>
  ringsWhileOnCall: number
  lateAnswers: number
  onTwoCalls: number
  webhooksDelivered: number
  endedTotal: number
  outbox: CallRecords['events']
  hubCpuSec: number
  /** The hub's Node process alone (the rest of hubCpuSec is PostgreSQL and Redis). */
  hubOnlyCpuSec: number
  benchCpuSec: number
  /** The database's work per call, over the whole run (webhooks and agents' sign-ins included). */
  dbCost: string
  storm: Storm | null
}
const results: ModeResult[] = []

for (const mode of selected) {
  run = newRun()
  say(`${mode}: seeding ${AGENTS} agents, then starting the hub`)
  let center: CallCenter | undefined
  const target = await startTarget(mode, {
    cpuProfDir: values['cpu-prof'],
    prepare: async ({ dataDir, env, apiId }) => {
      const began = Date.now()
      center = await seedCallCenter(dataDir, env, apiId, {
        agents: AGENTS,
        strategy: STRATEGY,
        mandatoryTagging: values.tagging,
      })
      say(`${mode}: seeded in ${((Date.now() - began) / 1000).toFixed(1)} s`)
    },
  })
  let sockets: AgentClient[] = []
  try {
    const c = center!
    const hook = await fetch(`${target.url}/v1/webhooks`, {
      method: 'POST',
      headers: { authorization: target.auth, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiverUrl, events: ['call.ended'] }),
    })
    if (hook.status !== 201) throw new Error(`POST /v1/webhooks: ${hook.status} ${await hook.text()}`)
    say(`${mode}: connecting ${AGENTS} agents`)
    sockets = await connectAll(target.urls, c)
    const database = hubDatabase(target.dataDir, target.env)
    // The sign-ins' own work (presence, nudges) settles, and backends report their counters.
    await sleep(1500)
    const dbBefore: DbStats = await readDbStats(database)

    const load = RATE === null ? `${CONCURRENCY} calls in flight` : `${RATE} calls/s offered`
    say(`${mode}: ${load}, talk ${TALK_MIN}–${TALK_MAX} ms, ${WARMUP} s warm-up + ${SECONDS} s`)
    const began = Date.now()
    const windowStart = began + WARMUP * 1000
    const windowEnd = windowStart + SECONDS * 1000
    const hubPids = target.hubs.map((h) => h.child.pid ?? 0)
    const hubsCpuSeconds = () => hubPids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0)
    let cpuAtStart = 0
    let hubOnlyAtStart = 0
    let benchAtStart = process.cpuUsage()
    let hubCpuSec = 0
    let hubOnlyCpuSec = 0
    let benchCpuSec = 0
    const snapshots = Promise.all([
      sleep(windowStart - Date.now()).then(() => {
        cpuAtStart = treesCpuSeconds(target.serverPids())
        hubOnlyAtStart = hubsCpuSeconds()
        benchAtStart = process.cpuUsage()
      }),
      sleep(windowEnd - Date.now()).then(() => {
        hubCpuSec = treesCpuSeconds(target.serverPids()) - cpuAtStart
        hubOnlyCpuSec = hubsCpuSeconds() - hubOnlyAtStart
        const used = process.cpuUsage(benchAtStart)
        benchCpuSec = (used.user + used.system) / 1e6
      }),
    ])
    const storm =
      STORM_AT === null
        ? Promise.resolve(null)
        : sleep(windowStart + STORM_AT * 1000 - Date.now()).then(() => {
            say(`${mode}: dropping every agent's socket; all reconnect at once`)
            return reconnectStorm(sockets, c)
          })
    await placeCalls(target.urls, target.auth, c.numberE164, windowEnd)
    await snapshots
    const stormResult = await storm

    const all = [...run.tracks.entries()]
    const endedIds = all.filter(([, t]) => t.endedAt !== undefined).map(([id]) => id)
    say(`${mode}: ${endedIds.length} calls ended; waiting for their call.ended webhooks`)
    const deadline = Date.now() + 30_000
    while (endedIds.some((id) => !run.webhookEnded.has(id)) && Date.now() < deadline) await sleep(100)
    const webhooksDelivered = endedIds.filter((id) => run.webhookEnded.has(id)).length
    // Backends report their counters at most once a second.
    await sleep(1500)
    const dbCost = describeDbCost(dbBefore, await readDbStats(database), endedIds.length)

    // The agents leave first: the hub's shutdown closes open sockets with 1001.
    for (const s of sockets) s.ws.terminate()
    sockets = []
    await target.stopHubs()
    const records = await readCallRecords(target.dataDir, target.env, c.companyId, new Date(began - 1000))

    // Steady state: the calls whose ring reached an agent within the window (whenever placed).
    const inWindow = (at: number | undefined) => at !== undefined && at >= windowStart && at < windowEnd
    const rung = all.filter(([, t]) => inWindow(t.ringAt))
    const ringFromCreated = rung
      .filter(([id]) => records.startedAt.has(id))
      .map(([id, t]) => t.ringAt! - records.startedAt.get(id)!)
      .sort((a, b) => a - b)
    const ringFromSend = rung
      .filter(([, t]) => t.sentAt !== undefined)
      .map(([, t]) => t.ringAt! - t.sentAt!)
      .sort((a, b) => a - b)
    const hookAt = (id: number) => run.webhookEnded.get(id)
    const completed = all.filter(([id]) => inWindow(hookAt(id))).length
    const hungUpInWindow = all.filter(([, t]) => inWindow(t.endedAt))
    const endedLag = hungUpInWindow
      .filter(([id]) => hookAt(id) !== undefined)
      .map(([id, t]) => hookAt(id)! - t.endedAt!)
      .sort((a, b) => a - b)
    // The rate over time: does it hold from one half of the window to the next?
    const mid = windowStart + (SECONDS * 1000) / 2
    const halves = [
      all.filter(([id]) => (hookAt(id) ?? Number.NaN) >= windowStart && hookAt(id)! < mid).length,
      all.filter(([id]) => (hookAt(id) ?? Number.NaN) >= mid && hookAt(id)! < windowEnd).length,
    ].map((n) => Math.round(n / (SECONDS / 2)))
    /** The POSTs answered in the window, placed or refused: how long each took, sorted. */
    const answered = (placed: boolean) =>
      run.answers
        .filter((a) => a.placed === placed && inWindow(a.at))
        .map((a) => a.ms)
        .sort((a, b) => a - b)
    const result: ModeResult = {
      mode,
      perSec: completed / SECONDS,
      completed,
      hungUp: hungUpInWindow.length,
      halves,
      endedLag,
      endedLagMissing: hungUpInWindow.length - endedLag.length,
      endedSteps: stepsOf(hungUpInWindow.map(([id]) => records.endedSteps.get(id))),
      placed: all.filter(([, t]) => inWindow(t.answeredHttpAt)).length,
      refused: answered(false).length,
      ringFromCreated,
      ringFromSend,
      answerMs: { placed: answered(true), refused: answered(false) },
      notRung: all.filter(([, t]) => t.ringAt === undefined).length,
      errors: run.errors,
      ringsWhileOnCall: run.ringsWhileOnCall,
      lateAnswers: run.lateAnswers,
      onTwoCalls: run.onTwoCalls,
      webhooksDelivered,
      endedTotal: endedIds.length,
      outbox: records.events,
      hubCpuSec,
      hubOnlyCpuSec,
      benchCpuSec,
      dbCost,
      storm: stormResult && { ...stormResult, hangUpsAgainRefused: run.hangUpsAgainRefused },
    }
    results.push(result)
    say(
      `${mode}: ${result.perSec.toFixed(0)} calls/s, ring p50 ${percentile(ringFromCreated, 50)} ms / p99 ${percentile(ringFromCreated, 99)} ms; hub and servers ${hubCpuSec.toFixed(1)} CPU-s, this process ${benchCpuSec.toFixed(1)} CPU-s`,
    )
  } finally {
    for (const s of sockets) s.ws.terminate()
    await target.stop()
  }
}

receiver.closeAllConnections()
receiver.close()

const targets: Record<AnyMode, number> = {
  embedded: 300,
  'postgres-redis': 1000,
  'postgres-redis-processes': 1000,
}
const meanTalkSec = (TALK_MIN + TALK_MAX) / 2000
const ceiling =
  RATE === null
    ? `${CONCURRENCY} in flight / ${meanTalkSec} s mean talk = ${Math.round(CONCURRENCY / Math.max(meanTalkSec, 0.001))} calls/s at most`
    : `${RATE} calls/s offered; ${AGENTS} agents / ${meanTalkSec} s mean talk = ${Math.round(AGENTS / Math.max(meanTalkSec, 0.001))} calls/s at most`
console.log(
  `# load generator and ${AGENTS} agents' WebSockets in the benchmark process, on the same machine as the hub; ` +
    `${RATE === null ? `${CONCURRENCY} calls in flight` : `${RATE} calls/s`}, talk ${TALK_MIN}–${TALK_MAX} ms, ` +
    `team strategy ${STRATEGY}${values.tagging ? ', mandatory tagging' : ''}; ${SECONDS} s after ${WARMUP} s warm-up; ` +
    `the load's own ceiling: ${ceiling}`,
)
const fmtErrors = (errors: Map<string, number>) => {
  const total = [...errors.values()].reduce((a, b) => a + b, 0)
  return total === 0
    ? '0 errors'
    : `${total} errors (${[...errors].map(([what, n]) => `${n}× ${what}`).join(', ')})`
}
for (const r of results) {
  const outbox = ['call.created', 'call.ringing_on_agent', 'call.answered', 'call.hungup', 'call.ended']
    .map((e) => `${e.slice(5)} ${r.outbox.get(e) ?? 0}`)
    .join(' / ')
  console.log(
    `calls.${r.mode}: ${Math.round(r.perSec)} calls/s (target >= ${targets[r.mode]}) [${r.halves.join(' then ')} calls/s in its two halves, ${r.completed} call.ended webhooks in the window (${r.hungUp} calls hung up at the agents' clients in it, ${Math.round(r.hungUp / SECONDS)}/s), ${r.placed} placed in it, ${r.refused} refused busy (503); ${fmtErrors(r.errors)}; ${r.ringsWhileOnCall} rings to an agent already on a call, ${r.lateAnswers} answers after the ring stopped (two calls had picked the agent), ${r.onTwoCalls} agents on two calls at once; webhooks: ${r.webhooksDelivered} of ${r.endedTotal} call.ended delivered, outbox ${outbox}; ${Math.round(r.completed / r.hubCpuSec)} calls per CPU-second of the hub and its servers (${r.hubCpuSec.toFixed(1)} CPU-s, of which the hub's Node ${r.mode === 'postgres-redis-processes' ? 'processes' : 'process'} ${r.hubOnlyCpuSec.toFixed(1)}), the benchmark process used ${r.benchCpuSec.toFixed(1)} CPU-s]`,
  )
}
for (const r of results) {
  console.log(
    `calls.ring-p99.${r.mode}: ${percentile(r.ringFromCreated, 99)} ms (target < 50) [call created (calls.started_at) → call.ringing at the agent's client: p50 ${percentile(r.ringFromCreated, 50)} ms, max ${r.ringFromCreated.at(-1) ?? Number.NaN} ms, ${r.ringFromCreated.length} rings in the window; from the POST's send: p50 ${percentile(r.ringFromSend, 50)} / p99 ${percentile(r.ringFromSend, 99)} ms; the POST answered, p50 / p99: 201 in ${stepText(r.answerMs.placed)}${r.answerMs.refused.length > 0 ? `, 503 in ${stepText(r.answerMs.refused)}` : ''}; ${r.notRung} placed calls never rang]`,
  )
}
for (const r of results) {
  console.log(
    `calls.ended-lag-p99.${r.mode}: ${percentile(r.endedLag, 99)} ms [the agent's call.ended frame → the call.ended webhook, for the calls hung up in the window: p50 ${percentile(r.endedLag, 50)} ms, max ${r.endedLag.at(-1) ?? Number.NaN} ms; ${r.endedLagMissing} never came; by the hub's clock, p50 / p99: hang-up → finalized ${stepText(r.endedSteps.finalize)}, → relayed ${stepText(r.endedSteps.relay)}, → delivered ${stepText(r.endedSteps.deliver)}]`,
  )
}
for (const r of results) {
  const st = r.storm
  if (!st) continue
  console.log(
    `calls.reconnect-storm.${r.mode}: ${st.allBackMs} ms [every one of the ${st.dropped} agents' sockets dropped at once ${STORM_AT} s into the window and reconnected at once, under the load above, until the last signed in again (hello); per agent p50 ${percentile(st.backMs, 50)} / p99 ${percentile(st.backMs, 99)} ms; ${st.retries} tries again after a failed sign-in, ${st.failed} never back; ${st.hangUpsAgainRefused} hang-ups sent again after the drop (the call still answered in hello) were refused, the first having gone through as the agent signed in again]`,
  )
}
for (const r of results) {
  console.log(
    `# calls.${r.mode}, database work per call (whole run, webhook deliveries included): ${r.dbCost}`,
  )
}
process.exit(0)
