import type { Clock } from '../../core/clock.ts'
import { withDeadline } from '../../core/deadline.ts'
import { RetryLaterError } from '../../core/errors.ts'
import { createFairGate, GateFullError } from '../../core/fair-gate.ts'
import type { Logger } from '../../core/logger.ts'
import type { JobQueue } from '../../jobs/queue.ts'
import { callTimerJob } from '../../telephony/engine/call-engine.ts'
import { callFinalizeJob } from '../../telephony/engine/call-finalize.ts'

/**
 * Back-pressure at the carrier's edge: whether a new call is let in. A hub offered more calls
 * than its machine can carry used to take them all: the set-ups queued for the database (the
 * caller waited seconds before anything rang) and the engine's own work fell behind without
 * bound (ring timeouts firing late, recordings and `call.ended` half a minute after the
 * hang-up), until fewer calls a second ended whole than before the overload. Now:
 *
 * - **Set-ups.** A bounded number of new calls are being set up at once in a process (their
 *   first transaction: created, routed, ringing); a burst waits in a bounded room, served in
 *   turns between companies, where one company may fill at most `roomShare` of what the others
 *   leave (half the room alone, half the rest when another floods it too), so a company with a
 *   call to set up still finds a place. Past that, the call is refused at once; one that waited
 *   over `maxWaitMs`, or while the engine fell twice `maxLagMs` behind, is refused when its
 *   turn comes (a hub whose web processes are the bottleneck, not the engine's queues, does
 *   not keep callers in silence for seconds).
 * - **How many at once follows how fast they go** (the way TCP Vegas sizes its window). A
 *   set-up's time is its round trips to the database plus its waits: for a connection of the
 *   pool, for the event loop, behind the calls in progress. When set-ups take on average more
 *   than `setupQueueMs` longer than the quickest of the last seconds (what one costs here with
 *   nothing to wait for: a remote database's round trips included), the hub is waiting, not
 *   working: fewer are let in at once (a quarter fewer, at most once per average set-up, down
 *   to `minStarting`); while they keep pace, each set-up lets one more in, up to `starting`.
 *   Only set-ups that went through count (a refused number is quick and says nothing of the
 *   pace); a process idle for the window starts again from `starting`.
 *   With 64 at once against 20 database connections, a saturated process took 1–6 s per
 *   set-up and as many calls a second as with far fewer at once. The room holds as many as
 *   the current pace serves within `maxWaitMs` (at least `minStarting`), so a caller beyond
 *   it hears busy at once rather than after a second of silence. A hub slow for longer than
 *   the quickest's window (10–20 s) takes that slowness for its pace, as Vegas does: the
 *   limit then grows back, and the room and the engine's lag below still bound what callers
 *   wait.
 * - **The engine's lag.** How long the oldest due job of the call queues (timers,
 *   finalizations) has waited since it fell due, read every `probeMs` behind the calls from the
 *   queue every process shares. Beyond `maxLagMs`, the companies that offer at least an
 *   average company's share of the recent calls are shed first: of their calls, a share
 *   falling from all to none as the lag grows to twice `maxLagMs` is let in (evenly spread);
 *   from twice it, every new call is refused.
 *
 * A refused call never exists: nothing is written, and the carrier answers busy (the sandbox's
 * API: 503 with Retry-After). Calls already in progress are never touched. The answer tells a
 * company nothing of the others' load (no lag, no count); the hub's log has it.
 */
export type AdmissionLimits = {
  /** Most set-ups at once in a process (the adaptive limit's ceiling). */
  starting: number
  /** Fewest set-ups at once the adaptive limit goes down to. */
  minStarting: number
  /** How much longer than the quickest recent ones set-ups may take on average before fewer run at once. */
  setupQueueMs: number
  /** Set-ups that may wait for a slot, all companies together. */
  waiting: number
  /** The share of the waiting room one company may fill of what the others leave (core/fair-gate.ts). */
  roomShare: number
  /** How long a set-up may wait for its turn before it is refused instead. */
  maxWaitMs: number
  maxLagMs: number
  probeMs: number
}

export const DEFAULT_ADMISSION_LIMITS: AdmissionLimits = {
  starting: 64,
  minStarting: 16,
  setupQueueMs: 400,
  waiting: 128,
  roomShare: 0.5,
  maxWaitMs: 1000,
  maxLagMs: 2000,
  probeMs: 500,
}

/** The queues whose lag means the engine is behind with the calls it already carries. */
export const ENGINE_QUEUES = [callTimerJob.queue, callFinalizeJob.queue] as const

/** How fast each company's offered calls decay from memory (an exponential average). */
const DEMAND_TAU_MS = 5000
/** A company whose offered rate decayed below this is forgotten. */
const DEMAND_FLOOR = 0.01
/** A lag reading older than this many probe intervals is waited for rather than refreshed behind. */
const STALE_PROBES = 4
/** A lag read that takes longer than this leaves the last reading standing. */
const READ_TIMEOUT_MS = 1000
/** A refusal is logged at most this often, with the count since the last line. */
const LOG_EVERY_MS = 10_000

export type CallAdmission = ReturnType<typeof createCallAdmission>

export function createCallAdmission(deps: {
  clock: Clock
  logger: Logger
  /** The engine's lag in ms (the call queues' oldest due job's wait). */
  lagMs: () => Promise<number>
  limits?: Partial<AdmissionLimits>
}) {
  const limits = { ...DEFAULT_ADMISSION_LIMITS, ...deps.limits }
  const gate = createFairGate({
    concurrency: limits.starting,
    perClient: limits.starting + limits.waiting,
    maxWaiting: limits.waiting,
    roomShare: limits.roomShare,
  })
  const demand = createDemand(DEMAND_TAU_MS)
  const pace = createSetupPace(limits, gate)
  let lag = 0
  let readAt = Number.NEGATIVE_INFINITY
  let reading: Promise<void> | undefined
  const refusals = { count: 0, since: Number.NEGATIVE_INFINITY }

  function read(): Promise<void> {
    reading ??= withDeadline(deps.lagMs(), READ_TIMEOUT_MS)
      .then((ms) => {
        lag = ms
      })
      .catch((err: unknown) => {
        // The last reading stands: a probe that failed says nothing about the engine.
        deps.logger.warn({ err }, 'call admission: reading the engine lag failed')
      })
      .finally(() => {
        readAt = deps.clock.now().getTime()
        reading = undefined
      })
    return reading
  }

  /**
   * The lag. A reading older than probeMs is refreshed in the background (calls do not wait
   * for it); one too old to go by (none yet, or the hub was idle) is waited for, at most
   * READ_TIMEOUT_MS. Concurrent callers share one read.
   */
  async function currentLag(now: number): Promise<number> {
    const age = now - readAt
    if (age >= limits.probeMs * STALE_PROBES) await read()
    else if (age >= limits.probeMs) void read()
    return lag
  }

  function refuse(now: number, reason: string, detail: Record<string, unknown>): never {
    refusals.count++
    if (now - refusals.since >= LOG_EVERY_MS) {
      deps.logger.warn(
        { refused: refusals.count, ...detail },
        `call admission: new calls refused (${reason})`,
      )
      refusals.count = 0
      refusals.since = now
    }
    // What the hub's state is (how far behind, how full) stays in its log: a company learns
    // only that the hub takes no new call, or that its own calls fill their share.
    throw new RetryLaterError(
      'unavailable',
      detail.scope === 'client'
        ? "Too many of this company's calls are being set up at once; retry in a moment"
        : 'The hub is saturated and takes no new call for now; retry in a moment',
      1,
    )
  }

  const behindText = (ms: number) => `the call engine runs ${(ms / 1000).toFixed(1)} s behind`

  return {
    limits,
    /**
     * Sets a new call of the company up through `start` if the hub can carry it; otherwise
     * throws RetryLaterError (503) before `start` runs.
     */
    async admit<T>(companyId: number, start: () => Promise<T>): Promise<T> {
      const now = deps.clock.now().getTime()
      demand.arrive(companyId, now)
      const behind = await currentLag(now)
      if (behind > limits.maxLagMs) {
        // Between the limit and twice it, a heavy company keeps a share of its calls that
        // shrinks as the lag grows (shedding smoothly, so the hub settles near what it can
        // carry instead of swinging between all and nothing); from twice it, nobody.
        const kept = Math.max(0, (2 * limits.maxLagMs - behind) / limits.maxLagMs)
        if (kept === 0 || (demand.atLeastAverage(companyId, now) && !demand.keep(companyId, kept))) {
          refuse(now, behindText(behind), { lagMs: Math.round(behind), companyId })
        }
      }
      try {
        return await gate.run(String(companyId), async () => {
          // A set-up that waited too long for its slot (the caller has heard nothing all that
          // time), or while the engine fell far behind, is not let in.
          const at = deps.clock.now().getTime()
          if (at - now > limits.maxWaitMs)
            refuse(at, `a set-up waited ${at - now} ms for its turn`, { waitedMs: at - now, companyId })
          const late = await currentLag(at)
          if (late >= 2 * limits.maxLagMs)
            refuse(at, behindText(late), { lagMs: Math.round(late), companyId })
          const began = deps.clock.now().getTime()
          const result = await start()
          // Only set-ups that went through: a refused one (a number not the company's) stops
          // after a round trip or two, and would pass for the quickest a set-up can be.
          const ended = deps.clock.now().getTime()
          pace.record(ended - began, ended)
          return result
        })
      } catch (err) {
        if (!(err instanceof GateFullError)) throw err
        return refuse(
          now,
          err.scope === 'client'
            ? 'too many calls of this company are being set up at once'
            : 'too many calls are being set up at once',
          { scope: err.scope, companyId },
        )
      }
    },
    /**
     * For tests and diagnostics: set-ups running and waiting, how many may run and wait now,
     * and the last lag read.
     */
    get state() {
      return {
        starting: gate.active,
        waiting: gate.waiting,
        maxStarting: gate.concurrency,
        maxWaiting: gate.maxWaiting,
        lagMs: lag,
      }
    },
  }
}

/** Runs a new call's set-up through the hub's admission, when it has one (tests may not). */
export function admitCall<T>(
  deps: { callAdmission?: CallAdmission },
  companyId: number,
  start: () => Promise<T>,
): Promise<T> {
  return deps.callAdmission ? deps.callAdmission.admit(companyId, start) : start()
}

/** The engine lag of a hub's queue: the worst of the call queues. */
export function engineLag(queue: JobQueue): () => Promise<number> {
  return async () => Math.max(0, ...(await Promise.all(ENGINE_QUEUES.map((q) => queue.lagMs(q)))))
}

/** How much each set-up's time moves the average (an exponential average over ~10 set-ups). */
const PACE_SMOOTHING = 0.1
/**
 * The quickest set-up is looked for over the last one to two windows of this length; a process
 * that set up no call for that long starts again from the ceiling.
 */
const QUICKEST_WINDOW_MS = 10_000
/** The share of set-ups at once kept when they go too slowly. */
const PACE_DECREASE = 0.75
/** Never shrink again sooner than this after a shrink (nor sooner than an average set-up). */
const PACE_MIN_INTERVAL_MS = 100

/**
 * The adaptive limit of set-ups at once (see the module comment): fed each set-up's time, it
 * resizes the gate's slots and its waiting room.
 */
function createSetupPace(limits: AdmissionLimits, gate: ReturnType<typeof createFairGate>) {
  const floor = Math.min(limits.minStarting, limits.starting)
  let limit = limits.starting
  let averageMs: number | undefined
  let lastAt = Number.NEGATIVE_INFINITY
  // The quickest set-up of the current window and of the one before.
  let current = { start: Number.NEGATIVE_INFINITY, quickest: Number.POSITIVE_INFINITY }
  let previous = { start: Number.NEGATIVE_INFINITY, quickest: Number.POSITIVE_INFINITY }
  let shrunkAt = Number.NEGATIVE_INFINITY
  return {
    record(took: number, now: number) {
      // A clock stepped back would make a set-up take negative time.
      const ms = Math.max(0, took)
      // Idle for a window or more: what was measured then says nothing of now (an overload
      // that ended with slow set-ups must not leave the next burst at the floor).
      if (now - lastAt >= QUICKEST_WINDOW_MS) {
        limit = limits.starting
        averageMs = undefined
      }
      lastAt = now
      if (now - current.start >= QUICKEST_WINDOW_MS) {
        previous = current
        current = { start: now, quickest: ms }
      } else current.quickest = Math.min(current.quickest, ms)
      const quickest = Math.min(
        current.quickest,
        now - previous.start < 2 * QUICKEST_WINDOW_MS ? previous.quickest : Number.POSITIVE_INFINITY,
      )
      averageMs = averageMs === undefined ? ms : averageMs + PACE_SMOOTHING * (ms - averageMs)
      if (averageMs > quickest + limits.setupQueueMs) {
        if (now - shrunkAt >= Math.max(averageMs, PACE_MIN_INTERVAL_MS)) {
          limit = Math.max(floor, limit * PACE_DECREASE)
          shrunkAt = now
        }
      } else {
        // One more per set-up while they keep pace: back to the ceiling within a few dozen
        // set-ups once a burst is over (one per `limit` set-ups, as TCP grows its window, took
        // half a minute from the floor at 80 calls/s, and cost that half minute's calls).
        limit = Math.min(limits.starting, limit + 1)
      }
      // As many may wait as the current pace serves within maxWaitMs (and never fewer than the
      // floor of set-ups at once, so a burst on a slow hub still finds a few places).
      const servedInTime = (Math.floor(limit) * limits.maxWaitMs) / Math.max(averageMs, 1)
      gate.resize({
        concurrency: limit,
        maxWaiting: Math.min(limits.waiting, Math.max(floor, servedInTime)),
      })
    },
  }
}

/**
 * Each company's rate of offered calls, an exponentially decaying count (time constant tau):
 * whether a company offers at least an average company's share of what is offered now.
 */
function createDemand(tauMs: number) {
  const rates = new Map<number, { rate: number; at: number; credit: number }>()
  let sweptAt = 0
  const decayed = (entry: { rate: number; at: number }, now: number) =>
    entry.rate * Math.exp(-Math.max(0, now - entry.at) / tauMs)
  return {
    arrive(companyId: number, now: number) {
      const entry = rates.get(companyId)
      rates.set(companyId, {
        rate: (entry ? decayed(entry, now) : 0) + 1,
        at: now,
        credit: entry?.credit ?? 0,
      })
      // Companies that stopped calling are forgotten, so the map follows the active ones.
      if (now - sweptAt > tauMs * 4) {
        sweptAt = now
        for (const [id, e] of rates) if (decayed(e, now) < DEMAND_FLOOR) rates.delete(id)
      }
    },
    /**
     * Whether to keep this call of the company when a share `kept` (0–1) of its calls is kept:
     * a running credit, so exactly that share passes, evenly spread (not left to chance).
     */
    keep(companyId: number, kept: number): boolean {
      const entry = rates.get(companyId)
      if (!entry) return true
      entry.credit += kept
      if (entry.credit < 1) return false
      entry.credit -= 1
      return true
    },
    atLeastAverage(companyId: number, now: number): boolean {
      let total = 0
      let active = 0
      for (const e of rates.values()) {
        const r = decayed(e, now)
        if (r < DEMAND_FLOOR) continue
        total += r
        active++
      }
      const mine = rates.get(companyId)
      return mine !== undefined && decayed(mine, now) * active >= total
    },
  }
}
