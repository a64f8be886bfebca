import { normalizePhone } from '@switchboard/shared'
import { DomainError, RetryLaterError } from '../../core/errors.ts'
import type { HubApi } from '../hub-api.ts'
import {
  type CallJson,
  callerHangsUp,
  getCall,
  placeSandboxCall,
  pressDigits,
  putSimulatedDevices,
} from '../sandbox-api.ts'
import { UsageError } from '../usage-error.ts'

/**
 * `sb simulate --to <phone number> [--calls N] [--from <e164>] [--digits 1] [--answer-after S]
 * [--talk S] [--concurrency C]`: places inbound calls to one of the company's numbers through
 * the sandbox's simulation API, follows each to its end (GET /v1/calls/:id until `done`) and
 * sums up the outcomes as Aircall's Call object states them: answered (`answered_at`), voicemail
 * (`voicemail`), else missed by `missed_call_reason`.
 */

export const simulateFlags = {
  to: { type: 'string' },
  calls: { type: 'string' },
  from: { type: 'string' },
  digits: { type: 'string' },
  'answer-after': { type: 'string' },
  talk: { type: 'string' },
  concurrency: { type: 'string' },
  timeout: { type: 'string' },
  hub: { type: 'string' },
  'api-key': { type: 'string' },
  json: { type: 'boolean', default: false },
} as const

export type SimulateOptions = {
  /** The number as dialled; matched against the company's numbers (matchCompanyNumber). */
  to: string
  calls: number
  /** The caller's E.164 number, or 'anonymous'; null = a different French mobile per call. */
  from: string | null
  digits: string | null
  /** Simulated devices for the number's users (both set, or neither). */
  device: { answer_after_sec: number; talk_sec: number } | null
  concurrency: number
  /** Seconds a call may take before the caller hangs up. */
  timeoutSec: number
  json: boolean
}

export const MAX_SIMULATED_CALLS = 10_000
export const MAX_CONCURRENCY = 100

function intFlag(values: Record<string, unknown>, name: string, min: number, max: number, fallback: number) {
  const raw = values[name]
  if (raw === undefined) return fallback
  const text = String(raw)
  const n = /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN
  if (!(n >= min && n <= max)) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}`)
  return n
}

export function parseSimulateArgs(values: Record<string, unknown>, positionals: string[]): SimulateOptions {
  if (positionals.length > 0)
    throw new UsageError(`simulate takes no positional argument (got "${positionals[0]}"); use --to`)
  const to = typeof values.to === 'string' ? values.to.trim() : ''
  if (!to) throw new UsageError('--to is required: the company number to call, e.g. --to "+1 415 555 0100"')
  let from: string | null = null
  if (values.from !== undefined) {
    const raw = String(values.from).trim()
    if (raw.toLowerCase() === 'anonymous') from = 'anonymous'
    else {
      const parsed = normalizePhone(raw)
      if (!parsed) throw new UsageError(`--from must be a phone number with its country code, or "anonymous"`)
      from = parsed.e164
    }
  }
  let digits: string | null = null
  if (values.digits !== undefined) {
    digits = String(values.digits)
    if (!/^[0-9*#]{1,20}$/.test(digits))
      throw new UsageError('--digits must be keys 0-9, * or # (at most 20)')
  }
  const answerGiven = values['answer-after'] !== undefined
  const talkGiven = values.talk !== undefined
  const answerAfter = intFlag(values, 'answer-after', 0, 600, 0)
  const talk = intFlag(values, 'talk', 1, 3600, 30)
  const calls = intFlag(values, 'calls', 1, MAX_SIMULATED_CALLS, 1)
  return {
    to,
    calls,
    from,
    digits,
    device: answerGiven || talkGiven ? { answer_after_sec: answerAfter, talk_sec: talk } : null,
    concurrency: Math.min(calls, intFlag(values, 'concurrency', 1, MAX_CONCURRENCY, 1)),
    timeoutSec: intFlag(values, 'timeout', 5, 24 * 3600, 600),
    json: values.json === true,
  }
}

export type CompanyNumber = { id: number; name: string; e164: string; country: string }

/** Every number of the company (GET /v1/numbers, page by page). */
export async function listCompanyNumbers(api: HubApi): Promise<CompanyNumber[]> {
  const out: CompanyNumber[] = []
  for (let page = 1; page <= 200; page++) {
    const { body } = await api.request('GET', `/v1/numbers?per_page=50&page=${page}`)
    const list = (body as { numbers?: unknown[] } | null)?.numbers ?? []
    for (const n of list as Record<string, unknown>[]) {
      const e164 =
        typeof n.e164_digits === 'string' ? n.e164_digits : normalizePhone(String(n.digits ?? ''))?.e164
      if (typeof n.id === 'number' && e164)
        out.push({ id: n.id, name: String(n.name ?? ''), e164, country: String(n.country ?? '') })
    }
    const next = (body as { meta?: { next_page_link?: string | null } } | null)?.meta?.next_page_link
    if (!next || list.length === 0) break
  }
  return out
}

/**
 * The company number `dialled` names, in any common format: E.164 (`+14155550100`), with spaces
 * or punctuation (`+1 (415) 555-0100`), with the 00 international prefix, or national
 * (`(415) 555-0100`, `020 7946 0000`) read in the country of each of the company's numbers.
 */
export function matchCompanyNumber(dialled: string, numbers: readonly CompanyNumber[]): CompanyNumber {
  const international = normalizePhone(dialled)
  for (const n of numbers) {
    if (international?.e164 === n.e164) return n
    if (!international && normalizePhone(dialled, n.country)?.e164 === n.e164) return n
  }
  const list = numbers.map((n) => `${normalizePhone(n.e164)?.international ?? n.e164} (${n.name})`)
  throw new DomainError(
    'not_found',
    `${dialled} is not one of the company's numbers` +
      (list.length
        ? `; its numbers are: ${list.join(', ')}`
        : '; the company has no number yet (try sb demo)'),
    { field: 'to' },
  )
}

export type Outcome = 'answered' | 'voicemail' | 'missed' | 'failed' | 'unfinished'

/** What became of a call, from its final Call object. */
export function outcomeOf(call: CallJson): { outcome: Outcome; reason?: string } {
  if (call.status !== 'done') return { outcome: 'unfinished' }
  if (call.answered_at != null) return { outcome: 'answered' }
  if (call.voicemail) return { outcome: 'voicemail' }
  return { outcome: 'missed', reason: call.missed_call_reason ?? 'unknown' }
}

export type SimulationSummary = {
  number: { id: number; name: string; e164: string }
  calls: number
  answered: number
  voicemail: number
  missed: number
  missed_by_reason: Record<string, number>
  /** Calls the hub refused because it was saturated (503): a real caller hears busy. */
  busy: number
  /** Calls the hub refused to place or that could not be followed, with the first error messages. */
  failed: number
  errors: string[]
  /** Calls still going when the caller gave up (--timeout) and the hub did not end them. */
  unfinished: number
  /** Stopped early (Ctrl-C): the calls in flight were hung up by their callers, no more placed. */
  interrupted: boolean
  /** Why the simulated devices could not be put back as they were, if so. */
  device_errors: string[]
  call_ids: number[]
  duration_sec: number
}

export type SimulationHooks = {
  /** Called after each call ends, with the running summary. */
  onProgress?(summary: SimulationSummary): void
  /** Between two polls of one call (ms). */
  pollMs?: number
  /** A different caller per call when --from is not given. */
  callerOf?(index: number): string
  /** Aborted: no more calls are placed, the callers of those in flight hang up. */
  signal?: AbortSignal
}

/** A French mobile number per call: valid, plausible, never a company number of the sandbox. */
export const defaultCaller = (index: number) =>
  `+3361${String(2_000_000 + (index % 8_000_000)).padStart(7, '0')}`

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export async function runSimulation(
  api: HubApi,
  options: SimulateOptions,
  hooks: SimulationHooks = {},
): Promise<SimulationSummary> {
  const started = Date.now()
  const number = matchCompanyNumber(options.to, await listCompanyNumbers(api))
  let restoreDevices: (() => Promise<string[]>) | null = null
  if (options.device) {
    const { body } = await api.request('GET', `/v1/numbers/${number.id}`)
    const users = ((body as { number?: { users?: { id: number }[] } } | null)?.number?.users ?? []).map(
      (u) => u.id,
    )
    restoreDevices = await putSimulatedDevices(api, users, options.device)
  }
  const summary: SimulationSummary = {
    number: { id: number.id, name: number.name, e164: number.e164 },
    calls: options.calls,
    answered: 0,
    voicemail: 0,
    missed: 0,
    missed_by_reason: {},
    busy: 0,
    failed: 0,
    errors: [],
    unfinished: 0,
    interrupted: false,
    device_errors: [],
    call_ids: [],
    duration_sec: 0,
  }
  const pollMs = hooks.pollMs ?? 1000
  const callerOf = hooks.callerOf ?? defaultCaller

  const fail = (err: unknown) => {
    summary.failed++
    if (summary.errors.length < 5) summary.errors.push(err instanceof Error ? err.message : String(err))
  }

  async function oneCall(index: number) {
    let call: CallJson
    try {
      call = await placeSandboxCall(api, { from: options.from ?? callerOf(index), to: number.e164 })
    } catch (err) {
      if (err instanceof RetryLaterError && err.code === 'unavailable') summary.busy++
      else fail(err)
      return
    }
    summary.call_ids.push(call.id)
    try {
      call = await followCall(call)
    } catch (err) {
      fail(err)
      return
    }
    const { outcome, reason } = outcomeOf(call)
    if (outcome === 'missed') {
      summary.missed++
      summary.missed_by_reason[reason!] = (summary.missed_by_reason[reason!] ?? 0) + 1
    } else if (outcome === 'answered' || outcome === 'voicemail' || outcome === 'unfinished') {
      summary[outcome]++
    }
  }

  /** Presses the digits, then polls the call until it is done (or the caller gives up). */
  async function followCall(placed: CallJson): Promise<CallJson> {
    let call = placed
    if (options.digits) await pressDigits(api, call.id, options.digits)
    const deadline = Date.now() + options.timeoutSec * 1000
    while (call.status !== 'done' && Date.now() < deadline && !hooks.signal?.aborted) {
      await sleep(pollMs)
      call = await getCall(api, call.id)
    }
    if (call.status !== 'done') {
      // The caller loses patience; the hub then ends the call (give it a few polls).
      await callerHangsUp(api, call.id)
      const grace = Date.now() + Math.max(5 * pollMs, Math.min(5000, options.timeoutSec * 1000))
      while (call.status !== 'done' && Date.now() < grace) {
        await sleep(pollMs)
        call = await getCall(api, call.id)
      }
    }
    return call
  }

  let next = 0
  const workers = Array.from({ length: Math.min(options.concurrency, options.calls) }, async () => {
    while (next < options.calls && !hooks.signal?.aborted) {
      const index = next++
      await oneCall(index)
      summary.duration_sec = (Date.now() - started) / 1000
      hooks.onProgress?.(summary)
    }
  })
  try {
    await Promise.all(workers)
  } finally {
    summary.interrupted = hooks.signal?.aborted === true
    // The number's users get back the devices they had (or none), interrupted or not.
    if (restoreDevices) summary.device_errors = await restoreDevices()
  }
  summary.duration_sec = Math.round((Date.now() - started) / 100) / 10
  return summary
}

const done = (s: SimulationSummary) => s.answered + s.voicemail + s.missed + s.busy + s.failed + s.unfinished

/** One line of progress for a terminal: a bar and the counts so far. */
export function progressLine(s: SimulationSummary, width = 30): string {
  const finished = done(s)
  const filled = Math.round((finished / Math.max(1, s.calls)) * width)
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`
  return `[${bar}] ${finished}/${s.calls}  answered ${s.answered} · voicemail ${s.voicemail} · missed ${s.missed}${s.busy ? ` · busy ${s.busy}` : ''}${s.failed ? ` · failed ${s.failed}` : ''}`
}

/** The summary printed at the end. */
export function formatSummary(s: SimulationSummary): string[] {
  const display = normalizePhone(s.number.e164)?.international ?? s.number.e164
  const lines = [
    `${s.interrupted ? `${done(s)} of ${s.calls}` : s.calls} call(s) to ${display} (${s.number.name}, number ${s.number.id}) in ${s.duration_sec} s${s.interrupted ? ', interrupted' : ''}:`,
    `  answered    ${s.answered}`,
    `  voicemail   ${s.voicemail}`,
    `  missed      ${s.missed}`,
  ]
  for (const [reason, n] of Object.entries(s.missed_by_reason).sort((a, b) => b[1] - a[1]))
    lines.push(`    ${reason.padEnd(28)}${n}`)
  if (s.unfinished)
    lines.push(`  unfinished  ${s.unfinished}  (still going after --timeout and the caller hung up)`)
  if (s.busy) lines.push(`  busy        ${s.busy}  (the hub was saturated and refused them: see its log)`)
  if (s.failed) {
    lines.push(`  failed      ${s.failed}  (refused, or lost track of)`)
    for (const e of s.errors) lines.push(`    ${e}`)
  }
  if (s.call_ids.length) lines.push(`Calls: GET /v1/calls/<id> for ids ${abbreviate(s.call_ids)}`)
  for (const e of s.device_errors) lines.push(`The simulated devices could not all be put back: ${e}`)
  return lines
}

function abbreviate(ids: number[]): string {
  const sorted = [...ids].sort((a, b) => a - b)
  return sorted.length <= 6
    ? sorted.join(', ')
    : `${sorted.slice(0, 3).join(', ')} … ${sorted.slice(-2).join(', ')}`
}
