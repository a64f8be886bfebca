import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { createNumber } from './numbers-fixtures.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

const menu = { type: 'tts', text: 'Press 1 for sales, 2 for support', language: 'en-GB', voice: 'female' }
const welcome = { type: 'tts', text: 'Welcome to Acme', language: 'en-GB', voice: 'female' }

async function ivrWithMenu() {
  const company = await hub.createCompany()
  const n = await createNumber(hub, company, { type: 'ivr' })
  const set = await hub.call('PATCH', `/v1/numbers/${n.id}/settings`, {
    auth: company.basic,
    body: { messages: { welcome, ivr_menu: menu } },
  })
  expect(set.status, JSON.stringify(set.body)).toBe(200)
  return { company, n, messages: set.body.settings.messages }
}

describe('changing one message keeps the others', () => {
  it('PUT .../settings/messages with only the music on hold keeps the IVR menu and the welcome', async () => {
    const { company, n, messages } = await ivrWithMenu()
    const res = await hub.call('PUT', `/v1/numbers/${n.id}/settings/messages`, {
      auth: company.basic,
      body: { music_on_hold: { type: 'library', track: 'jazz' } },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.settings.messages).toEqual({
      ...messages,
      music_on_hold: { type: 'library', track: 'jazz' },
    })
    const stored = await hub.call('GET', `/v1/numbers/${n.id}/settings`, { auth: company.basic })
    expect(stored.body.settings.messages.ivr_menu).toEqual(menu)
  })

  it('PATCH .../settings with one message keeps the others; null removes only that one', async () => {
    const { company, n, messages } = await ivrWithMenu()
    const res = await hub.call('PATCH', `/v1/numbers/${n.id}/settings`, {
      auth: company.basic,
      body: { messages: { welcome: null } },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.settings.messages).toEqual({ ...messages, welcome: null })
  })

  it('PUT .../settings/messages/{slot} changes that message alone', async () => {
    const { company, n, messages } = await ivrWithMenu()
    const closed = { type: 'tts', text: 'Closed for today', language: 'en-GB', voice: 'female' }
    const res = await hub.call('PUT', `/v1/numbers/${n.id}/settings/messages/closed`, {
      auth: company.basic,
      body: { message: closed },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.settings.messages).toEqual({ ...messages, closed })
    const music = await hub.call('PUT', `/v1/numbers/${n.id}/settings/messages/music_on_hold`, {
      auth: company.basic,
      body: { message: { type: 'library', track: 'ambient' } },
    })
    expect(music.status, JSON.stringify(music.body)).toBe(200)
    expect(music.body.settings.messages).toEqual({
      ...messages,
      closed,
      music_on_hold: { type: 'library', track: 'ambient' },
    })
  })

  it('refuses what a slot cannot hold, naming the field', async () => {
    const { company, n } = await ivrWithMenu()
    const cases: [string, unknown, string][] = [
      ['music_on_hold', welcome, 'messages.music_on_hold'],
      ['music_on_hold', null, 'messages.music_on_hold'],
      ['welcome', { type: 'library', track: 'jazz' }, 'messages.welcome'],
      ['welcome', { type: 'tts', text: '', language: 'en-GB' }, 'messages.welcome.text'],
    ]
    for (const [slot, message, field] of cases) {
      const res = await hub.call('PUT', `/v1/numbers/${n.id}/settings/messages/${slot}`, {
        auth: company.basic,
        body: { message },
      })
      expect(res.status, `${slot} ${JSON.stringify(message)}`).toBe(400)
      expect(res.body.field).toBe(field)
    }
    const unknown = await hub.call('PUT', `/v1/numbers/${n.id}/settings/messages/ringtone`, {
      auth: company.basic,
      body: { message: welcome },
    })
    expect(unknown.status).toBe(400)
    expect(unknown.body.field).toBe('slot')
  })

  securityCases(() => hub, {
    method: 'PUT',
    path: async (company) => `/v1/numbers/${(await createNumber(hub, company)).id}/settings/messages/welcome`,
    body: { message: welcome },
    adminOnly: true,
    ownedResource: true,
  })
})

describe('default closed and unavailable messages follow the voicemail setting', () => {
  const leaveAMessage = /leave a message|laisser un message/i

  it('stops inviting callers to leave a message when voicemail is off, and invites them again when it is back on', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    const before = n.settings.messages as Record<string, { text: string }>
    expect(before.closed!.text).toMatch(leaveAMessage)

    const off = await hub.call('PATCH', `/v1/numbers/${n.id}/settings`, {
      auth: company.basic,
      body: { voicemail_enabled: false },
    })
    expect(off.status, JSON.stringify(off.body)).toBe(200)
    const { closed, unavailable } = off.body.settings.messages
    expect(closed).toMatchObject({ type: 'tts', language: 'en-GB' })
    expect(closed.text).not.toMatch(leaveAMessage)
    expect(closed.text).toMatch(/call back/i)
    expect(unavailable.text).not.toMatch(leaveAMessage)
    expect(unavailable.text).toMatch(/call back/i)

    const on = await hub.call('PATCH', `/v1/numbers/${n.id}/settings`, {
      auth: company.basic,
      body: { voicemail_enabled: true },
    })
    expect(on.body.settings.messages.closed).toEqual(before.closed)
    expect(on.body.settings.messages.unavailable).toEqual(before.unavailable)
  })

  it('leaves a message the admin wrote as it is', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    const own = { type: 'tts', text: 'Closed. Leave a message for Ada.', language: 'en-GB', voice: 'female' }
    const res = await hub.call('PATCH', `/v1/numbers/${n.id}/settings`, {
      auth: company.basic,
      body: { voicemail_enabled: false, messages: { closed: own } },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.settings.messages.closed).toEqual(own)
  })

  it('gives a French number with voicemail off the French text without the invitation', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company, { country: 'FR', area: '1' })
    const res = await hub.call('PATCH', `/v1/numbers/${n.id}/settings`, {
      auth: company.basic,
      body: { voicemail_enabled: false },
    })
    expect(res.body.settings.messages.closed).toMatchObject({ language: 'fr-FR' })
    expect(res.body.settings.messages.closed.text).not.toMatch(leaveAMessage)
    expect(res.body.settings.messages.closed.text).toMatch(/rappeler/)
  })
})
