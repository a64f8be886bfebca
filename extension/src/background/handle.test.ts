import { callActionBodySchema, dialBodySchema } from '@switchboard/shared'
import { beforeAll, describe, expect, it } from 'vitest'
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
})
