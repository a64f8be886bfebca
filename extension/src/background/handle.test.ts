import {
  callActionBodySchema,
  clientMessageSchema,
  detectBodySchema,
  dialBodySchema,
} from '@switchboard/shared'
import { beforeAll, describe, expect, it } from 'vitest'
import { detect, frameOf } from '../lib/frames.ts'
import { createHandler } from './handle.ts'

const EXTENSION = 'chrome-extension://abcdefghijklmnop'

beforeAll(() => {
  // The one chrome API the handler wrapper reads: the extension's own origin.
  Object.assign(globalThis, { chrome: { runtime: { getURL: (path: string) => `${EXTENSION}${path}` } } })
})

/** Runs a handler as Plasmo's background does, returning what it answered. */
async function deliver<S>(handler: ReturnType<typeof createHandler>, body: unknown, sender: S) {
  let answer: unknown
  await handler({ name: 'x', body, sender } as never, { send: (r: unknown) => (answer = r) } as never)
  return answer
}

describe('background message handlers', () => {
  it('parse the body before acting: a bad click-to-call never reaches the hub', async () => {
    const dialled: unknown[] = []
    const handler = createHandler(dialBodySchema, async (body) => {
      dialled.push(body)
      return { ok: true as const }
    })
    const page = {
      url: 'https://crm.example.com/contact/1',
      tab: { url: 'https://crm.example.com/contact/1' },
    }
    expect(await deliver(handler, { to: 12 }, page)).toMatchObject({ ok: false, code: 'bad_request' })
    expect(await deliver(handler, { to: '+33 6 12 34 56 78', number_id: -1 }, page)).toMatchObject({
      ok: false,
      code: 'bad_request',
    })
    expect(dialled).toEqual([])
    expect(await deliver(handler, { to: ' +33 6 12 34 56 78 ' }, page)).toEqual({ ok: true })
    expect(dialled).toEqual([{ to: '+33 6 12 34 56 78' }])
  })

  it("refuse call actions from a web page's content script, accept them from the side panel", async () => {
    const acted: unknown[] = []
    const handler = createHandler(
      callActionBodySchema,
      async (body) => {
        acted.push(body)
        return { ok: true as const }
      },
      { extensionPagesOnly: true },
    )
    const body = { action: 'hangup', call_id: 3 }
    const fromPage = { url: 'https://evil.example/', tab: { url: 'https://evil.example/' } }
    expect(await deliver(handler, body, fromPage)).toMatchObject({ ok: false, code: 'bad_request' })
    expect(acted).toEqual([])
    expect(await deliver(handler, body, { url: `${EXTENSION}/sidepanel.html` })).toEqual({ ok: true })
    expect(acted).toEqual([body])
  })

  it('detect: finds the numbers of each text a page sends, and refuses oversized or malformed batches', async () => {
    const handler = createHandler(detectBodySchema, detect)
    const page = {
      url: 'https://acme.zendesk.com/agent/tickets/1',
      tab: { url: 'https://acme.zendesk.com/' },
    }
    expect(
      await deliver(
        handler,
        {
          country: 'fr',
          texts: ['Tél. 01 42 68 53 00', 'Commande 1002345678', 'US: +1 415 555 0123 or +44 20 7946 0000'],
        },
        page,
      ),
    ).toEqual({
      ok: true,
      matches: [
        [{ start: 5, end: 19, e164: '+33142685300' }],
        [],
        [
          { start: 4, end: 19, e164: '+14155550123' },
          { start: 23, end: 39, e164: '+442079460000' },
        ],
      ],
    })
    const refused = { ok: false, code: 'bad_request' }
    expect(await deliver(handler, { country: 'France', texts: ['01 42 68 53 00'] }, page)).toMatchObject(
      refused,
    )
    expect(await deliver(handler, { country: 'FR', texts: [] }, page)).toMatchObject(refused)
    expect(await deliver(handler, { country: 'FR', texts: Array(501).fill('x') }, page)).toMatchObject(
      refused,
    )
    expect(await deliver(handler, { country: 'FR', texts: ['1'.repeat(20_001)] }, page)).toMatchObject(
      refused,
    )
  })

  it("call actions: transfer to exactly one target, comments within bounds, each sent as the hub's realtime frame", async () => {
    const sent: unknown[] = []
    const handler = createHandler(
      callActionBodySchema,
      async (body) => {
        sent.push(frameOf(body))
        return { ok: true as const }
      },
      { extensionPagesOnly: true },
    )
    const panel = { url: `${EXTENSION}/sidepanel.html` }
    const accepted = [
      { action: 'transfer', call_id: 5, to: { kind: 'user', user_id: 9 } },
      { action: 'transfer', call_id: 5, to: { kind: 'team', team_id: 2 } },
      { action: 'transfer', call_id: 5, to: { kind: 'number', number: ' +33 1 42 68 53 00 ' } },
      { action: 'comment', call_id: 5, content: '  Wants a quote ' },
      { action: 'pause_recording', call_id: 5 },
      { action: 'resume_recording', call_id: 5 },
    ]
    for (const body of accepted) expect(await deliver(handler, body, panel)).toEqual({ ok: true })
    expect(sent).toEqual([
      { type: 'transfer', call_id: 5, user_id: 9 },
      { type: 'transfer', call_id: 5, team_id: 2 },
      { type: 'transfer', call_id: 5, number: '+33 1 42 68 53 00' },
      { type: 'comment', call_id: 5, content: 'Wants a quote' },
      { type: 'pause_recording', call_id: 5 },
      { type: 'resume_recording', call_id: 5 },
    ])
    // Every frame is one the hub accepts.
    for (const frame of sent) expect(clientMessageSchema.safeParse(frame).success).toBe(true)
    const refused = [
      { action: 'transfer', call_id: 5, to: { kind: 'user' } },
      { action: 'transfer', call_id: 5, to: { kind: 'queue', id: 1 } },
      { action: 'transfer', call_id: 5 },
      { action: 'comment', call_id: 5, content: '   ' },
      { action: 'comment', call_id: 5, content: 'x'.repeat(5001) },
      { action: 'pause_recording', call_id: 0 },
    ]
    for (const body of refused)
      expect(await deliver(handler, body, panel)).toMatchObject({ ok: false, code: 'bad_request' })
    expect(sent).toHaveLength(accepted.length)
  })
})
