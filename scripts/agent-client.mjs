#!/usr/bin/env node
// A small agent client of the hub's realtime channel (README, "Realtime protocol"): it signs
// in with an agent token (or a session token), prints every frame the hub sends, and acts on
// the call that rings:
//
//   SB_AGENT_TOKEN=sba_… node scripts/agent-client.mjs [--url http://localhost:3000]
//
//   a  answer the ringing call      d  decline it      h  hang up the current call
//   q  (or Ctrl-C) quit
//
// The token is read from SB_AGENT_TOKEN (or --token, which other users of the machine can see
// in the process list); it is sent in the first frame, never in the URL. Create an agent token
// with `POST /v1/me/agent_tokens` (as the agent), or take one from `npm run sb -- demo`.
// It reconnects with backoff when the connection drops or the hub restarts, and stops on a
// refused or revoked credential (close codes 4400, 4401, 4403).
import { createRequire } from 'node:module'
import { parseArgs } from 'node:util'

// `ws` is the hub's dependency (Node 20 has no WebSocket client without a flag).
const require = createRequire(new URL('../hub/package.json', import.meta.url))
const WebSocket = require('ws')

const { values } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.SB_URL ?? 'http://localhost:3000' },
    token: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
})
if (values.help) {
  process.stdout.write(
    'Usage: SB_AGENT_TOKEN=<token> node scripts/agent-client.mjs [--url http://localhost:3000]\n' +
      'Keys: a answer, d decline, h hang up, q quit.\n',
  )
  process.exit(0)
}
const token = values.token ?? process.env.SB_AGENT_TOKEN
if (!token) {
  process.stderr.write('agent-client: set SB_AGENT_TOKEN (an agent or session token) or pass --token\n')
  process.exit(2)
}
const endpoint = `${values.url.replace(/\/+$/, '').replace(/^http/, 'ws')}/v1/realtime`

const FATAL = new Map([
  [4400, 'the hub refused the first frame'],
  [4401, 'bad credentials'],
  [4403, 'the credential was revoked'],
])

let socket
/** The call the agent is ringing for or on (from hello, call.ringing, call.answered). */
let call = null
let refs = 0
let backoffMs = 500
let quitting = false

const time = () => new Date().toISOString().slice(11, 23)
const say = (line) => process.stdout.write(`${time()} ${line}\n`)

function describeCall(c) {
  const team = c.team ? `, team ${c.team.name}` : ''
  const ivr = c.ivr_path.length > 0 ? `, IVR ${c.ivr_path.join(' > ')}` : ''
  return `call ${c.call_id} ${c.direction} ${c.status}: ${c.external_number} → ${c.number.name} (${c.number.digits})${team}${ivr}`
}

function send(frame) {
  if (socket?.readyState !== WebSocket.OPEN) {
    say('! not connected')
    return
  }
  socket.send(JSON.stringify(frame))
}

function act(type) {
  if (!call) {
    say(`! no call to ${type}`)
    return
  }
  const ref = `${type}-${++refs}`
  say(`> ${type} call ${call.call_id} (ref ${ref})`)
  send({ type, call_id: call.call_id, ref })
}

function onFrame(frame) {
  switch (frame.type) {
    case 'hello':
      backoffMs = 500
      call = frame.call
      say(
        `hello ${frame.user.name || '(no name)'} (user ${frame.user.id}, company ${frame.user.company_id}): ` +
          `${frame.presence.declared}, ${frame.presence.live}, ${frame.presence.routable ? 'routable' : 'not routable'}`,
      )
      if (call) say(`  ${describeCall(call)}  — press a to answer, d to decline, h to hang up`)
      return
    case 'ping':
      send({ type: 'pong', ref: frame.ref })
      return
    case 'call.ringing':
      call = frame.call
      say(`RINGING ${describeCall(frame.call)}  — press a to answer, d to decline`)
      return
    case 'call.answered':
      call = frame.call
      say(`answered ${describeCall(frame.call)}  — press h to hang up`)
      return
    case 'call.ring_stopped':
      if (call?.call_id === frame.call_id && call.status === 'ringing') call = null
      say(`ring stopped for call ${frame.call_id} (${frame.reason})`)
      return
    case 'call.ended':
      if (call?.call_id === frame.call.call_id) call = null
      say(`ended ${describeCall(frame.call)}`)
      return
    default:
      say(`${frame.type} ${JSON.stringify(frame)}`)
  }
}

function connect() {
  say(`connecting to ${endpoint}`)
  socket = new WebSocket(endpoint)
  socket.on('open', () => socket.send(JSON.stringify({ type: 'auth', v: 1, token })))
  socket.on('message', (data) => {
    try {
      onFrame(JSON.parse(data.toString()))
    } catch {
      say(`? ${data.toString()}`)
    }
  })
  socket.on('unexpected-response', (_req, res) => say(`! upgrade refused: HTTP ${res.statusCode}`))
  socket.on('error', (err) => say(`! ${err.message}`))
  socket.on('close', (code, reason) => {
    say(`closed ${code}${reason.length > 0 ? ` ${reason}` : ''}`)
    if (quitting) return
    if (FATAL.has(code)) {
      process.stderr.write(`agent-client: ${FATAL.get(code)}, giving up\n`)
      process.exit(1)
    }
    // 1001: the hub is shutting down (reconnect, to another one); anything else: the network.
    const delay = backoffMs + Math.floor(Math.random() * 250)
    backoffMs = Math.min(backoffMs * 2, 15_000)
    say(`reconnecting in ${delay} ms`)
    setTimeout(connect, delay)
  })
}

function quit() {
  quitting = true
  socket?.close(1000)
  setTimeout(() => process.exit(0), 200).unref()
}

if (process.stdin.isTTY) {
  process.stdin.setRawMode(true)
  process.stdin.setEncoding('utf8')
  process.stdin.on('data', (key) => {
    if (key === 'a') act('answer')
    else if (key === 'd') act('decline')
    else if (key === 'h') act('hangup')
    else if (key === 'q' || key === '\u0003') quit()
  })
  say('keys: a answer, d decline, h hang up, q quit')
} else {
  // Piped input: one key per line ("a", "d", "h", "q").
  process.stdin.setEncoding('utf8')
  process.stdin.on('data', (chunk) => {
    for (const key of chunk.split(/\s+/)) {
      if (key === 'a') act('answer')
      else if (key === 'd') act('decline')
      else if (key === 'h') act('hangup')
      else if (key === 'q') quit()
    }
  })
}
process.on('SIGINT', quit)
process.on('SIGTERM', quit)
connect()
