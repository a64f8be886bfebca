import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/**
 * A stand-in for the hub's simulation API on loopback, for the CLI's tests only: the paths,
 * status codes, envelopes and Basic auth of the contract (POST /v1/sandbox/calls → 201 {call},
 * digits / hangup → 204, GET / PUT /v1/sandbox/agents/:id → 200 {agent} (GET: null for none),
 * DELETE → 204 (404: none), GET /v1/calls/:id → {call} in
 * Aircall's Call shape, GET /v1/numbers paginated with meta.next_page_link, 429 with
 * Retry-After). Each call follows a script chosen when it is placed: how many polls it stays
 * in progress, then its final fields.
 */
export type FakeNumber = { id: number; name: string; e164: string; country: string; userIds: number[] }
export type CallScript = {
  /** GETs answered with the call still going before it is done; Infinity: never by itself. */
  pollsUntilDone: number
  final: { answered_at?: number | null; voicemail?: string | null; missed_call_reason?: string | null }
  /** What ending it by a caller's hang-up gives (null: the hub keeps it going regardless). */
  onHangup?: { missed_call_reason: string } | null
}

type FakeCall = {
  id: number
  from: string
  to: string
  numberId: number
  script: CallScript
  polls: number
  done: boolean
  digits: string[]
  hungUp: boolean
  fields: Record<string, unknown>
}

export async function startFakeSandboxHub(options: {
  apiId: string
  apiToken: string
  numbers: FakeNumber[]
  /** `busy`: answered as a saturated hub refuses a call (503, Retry-After). */
  script(
    index: number,
    body: { from: string; to: string },
  ): CallScript | { refuse: string } | { busy: string }
  /** Answer this many requests (from the first) with 429 Retry-After: 1. */
  rateLimitFirst?: number
  /** A hub older than GET /v1/sandbox/agents/:id: 404 Not Found, as any unknown path. */
  withoutDeviceReads?: boolean
}) {
  const calls = new Map<number, FakeCall>()
  const devices = new Map<number, unknown>()
  /** Users whose device requests are answered with this status (a failing hub). */
  const agentRefusals = new Map<number, number>()
  const requests: string[] = []
  let placed = 0
  let inFlight = 0
  let maxInFlight = 0
  let limited = 0
  const auth = `Basic ${Buffer.from(`${options.apiId}:${options.apiToken}`).toString('base64')}`

  const send = (
    res: ServerResponse,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    })
    res.end(body === undefined ? undefined : JSON.stringify(body))
  }
  const readBody = async (req: IncomingMessage) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    return text ? (JSON.parse(text) as Record<string, unknown>) : {}
  }
  const callJson = (c: FakeCall) => ({
    id: c.id,
    direction: 'inbound',
    status: c.done ? 'done' : c.polls > 0 ? 'answered' : 'initial',
    raw_digits: c.from,
    answered_at: null,
    ended_at: c.done ? 1767225700 : null,
    missed_call_reason: null,
    voicemail: null,
    number: { id: c.numberId },
    ...(c.done ? c.fields : {}),
  })
  const finish = (c: FakeCall, fields: Record<string, unknown>) => {
    if (c.done) return
    c.done = true
    c.fields = fields
    inFlight--
  }

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake')
    requests.push(`${req.method} ${url.pathname}`)
    if (req.headers.authorization !== auth)
      return send(res, 401, { message: 'Unauthorized', code: 'unauthorized' })
    if (limited < (options.rateLimitFirst ?? 0)) {
      limited++
      return send(res, 429, { message: 'Too many requests', code: 'rate_limited' }, { 'retry-after': '1' })
    }
    const path = url.pathname
    const numberPath = /^\/v1\/numbers\/(\d+)$/.exec(path)
    const callAction = /^\/v1\/sandbox\/calls\/(\d+)\/(digits|hangup)$/.exec(path)
    const agentPath = /^\/v1\/sandbox\/agents\/(\d+)$/.exec(path)
    const callPath = /^\/v1\/calls\/(\d+)$/.exec(path)
    if (req.method === 'GET' && path === '/v1/numbers') {
      const perPage = Number(url.searchParams.get('per_page') ?? 20)
      const page = Number(url.searchParams.get('page') ?? 1)
      const slice = options.numbers.slice((page - 1) * perPage, page * perPage)
      const next = page * perPage < options.numbers.length ? `http://fake/v1/numbers?page=${page + 1}` : null
      return send(res, 200, {
        numbers: slice.map((n) => ({
          id: n.id,
          name: n.name,
          digits: n.e164,
          e164_digits: n.e164,
          country: n.country,
        })),
        meta: { count: slice.length, total: options.numbers.length, next_page_link: next },
      })
    }
    if (req.method === 'GET' && numberPath) {
      const n = options.numbers.find((x) => x.id === Number(numberPath[1]))
      if (!n) return send(res, 404, { message: 'Not Found', code: 'not_found' })
      return send(res, 200, { number: { id: n.id, users: n.userIds.map((id) => ({ id })) } })
    }
    if (req.method === 'POST' && path === '/v1/sandbox/calls') {
      const body = (await readBody(req)) as { from: string; to: string }
      const number = options.numbers.find((n) => n.e164 === body.to)
      if (!number)
        return send(res, 400, {
          message: 'to: not a number of the company',
          code: 'bad_request',
          field: 'to',
        })
      const script = options.script(placed++, body)
      if ('refuse' in script)
        return send(res, 400, { message: script.refuse, code: 'bad_request', field: 'from' })
      if ('busy' in script)
        return send(res, 503, { message: script.busy, code: 'unavailable' }, { 'retry-after': '1' })
      const call: FakeCall = {
        id: 1000 + calls.size,
        ...body,
        numberId: number.id,
        script,
        polls: 0,
        done: false,
        digits: [],
        hungUp: false,
        fields: {},
      }
      calls.set(call.id, call)
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      return send(res, 201, { call: callJson(call) })
    }
    if (callAction && req.method === 'POST') {
      const m = callAction
      const call = calls.get(Number(m[1]))
      if (!call) return send(res, 404, { message: 'Not Found', code: 'not_found' })
      const body = await readBody(req)
      if (m[2] === 'digits') call.digits.push(String(body.digits))
      else {
        call.hungUp = true
        if (call.script.onHangup)
          finish(call, { missed_call_reason: call.script.onHangup.missed_call_reason })
      }
      return send(res, 204)
    }
    const refusal = agentPath ? agentRefusals.get(Number(agentPath[1])) : undefined
    if (refusal) return send(res, refusal, { message: `HTTP ${refusal}`, code: 'internal' })
    // A hub from before GET /v1/sandbox/agents/:id answers it as any unknown path.
    if (agentPath && !(req.method === 'GET' && options.withoutDeviceReads)) {
      const userId = Number(agentPath[1])
      const device = devices.get(userId)
      if (req.method === 'PUT') {
        const body = await readBody(req)
        devices.set(userId, body)
        return send(res, 200, { agent: { user_id: userId, ...body } })
      }
      if (req.method === 'GET')
        return send(res, 200, { agent: device ? { user_id: userId, ...(device as object) } : null })
      if (req.method === 'DELETE') {
        if (!device)
          return send(res, 404, { message: 'This agent has no simulated device', code: 'not_found' })
        devices.delete(userId)
        return send(res, 204)
      }
    }
    if (req.method === 'GET' && callPath) {
      const m = callPath
      const call = calls.get(Number(m[1]))
      if (!call) return send(res, 404, { message: 'Not Found', code: 'not_found' })
      call.polls++
      if (call.polls > call.script.pollsUntilDone) finish(call, call.script.final)
      return send(res, 200, { call: callJson(call) })
    }
    return send(res, 404, { message: 'Not Found', code: 'not_found' })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    devices,
    agentRefusals,
    requests,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r())
        server.closeAllConnections()
      }),
  }
}
