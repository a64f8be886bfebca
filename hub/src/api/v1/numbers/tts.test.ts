import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { renderBuiltin, wavFile } from '../../../telephony/tts/tts-render.ts'
import { TTS_LANGUAGES } from '../../../telephony/tts/voices.ts'
import { createNumber } from './numbers-fixtures.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub({ env: { TTS_ENGINE: 'builtin' } })
})
afterAll(() => hub.close())

/** Seconds of audio in a 16-bit mono WAV. */
function wavSeconds(bytes: Uint8Array): number {
  const view = Buffer.from(bytes)
  expect(view.toString('latin1', 0, 4)).toBe('RIFF')
  expect(view.toString('latin1', 8, 12)).toBe('WAVE')
  return view.readUInt32LE(40) / view.readUInt32LE(28)
}

async function listen(target: TestHub, company: TestCompany, numberId: number, slot: string) {
  const res = await target.app.request(
    `http://hub.test/v1/numbers/${numberId}/settings/messages/${slot}/audio`,
    {
      headers: { authorization: company.basic },
    },
  )
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    bytes: new Uint8Array(await res.arrayBuffer()),
  }
}

describe('GET /v1/numbers/tts-languages', () => {
  it('lists the languages with their voices, French with Céline first', async () => {
    const company = await hub.createCompany()
    const res = await hub.call('GET', '/v1/numbers/tts-languages', { auth: company.basic })
    expect(res.status).toBe(200)
    const fr = res.body.languages.find((l: { code: string }) => l.code === 'fr-FR')
    expect(fr).toEqual({
      code: 'fr-FR',
      name: 'Français (France)',
      voices: [
        { id: 'celine', name: 'Céline', gender: 'female', default: true },
        { id: 'mathieu', name: 'Mathieu', gender: 'male', default: false },
      ],
    })
    // Every country's number starts with messages in a language offered here.
    const pricing = await hub.call('GET', '/v1/numbers/pricing', { auth: company.basic })
    const codes = res.body.languages.map((l: { code: string }) => l.code)
    for (const country of pricing.body.pricing as { country: string; areas: { code: string }[] }[]) {
      const n = await createNumber(hub, company, { country: country.country, area: country.areas[0]!.code })
      const messages = n.settings.messages as Record<string, { language: string }>
      expect(codes, country.country).toContain(messages.closed!.language)
    }
  })

  securityCases(() => hub, { method: 'GET', path: () => '/v1/numbers/tts-languages', adminOnly: true })
})

describe('text-to-speech messages are checked against the languages and voices', () => {
  it('refuses an unknown language or a voice the language does not have, naming the field', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    const cases: [Record<string, unknown>, string][] = [
      [{ language: 'xx-YY' }, 'messages.welcome.language'],
      [{ language: 'fr' }, 'messages.welcome.language'],
      [{ language: 'fr-FR', voice: 'amy' }, 'messages.welcome.voice'],
      [{ language: 'fr-BE', voice: 'male' }, 'messages.welcome.voice'],
    ]
    for (const [fields, field] of cases) {
      const res = await hub.call('PUT', `/v1/numbers/${n.id}/settings/messages/welcome`, {
        auth: company.basic,
        body: { message: { type: 'tts', text: 'Bonjour', ...fields } },
      })
      expect(res.status, JSON.stringify(fields)).toBe(400)
      expect(res.body.field).toBe(field)
    }
  })

  it('takes a voice by id or by gender', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    for (const voice of ['mathieu', 'male', 'celine']) {
      const res = await hub.call('PUT', `/v1/numbers/${n.id}/settings/messages/welcome`, {
        auth: company.basic,
        body: { message: { type: 'tts', text: 'Bonjour', language: 'fr-FR', voice } },
      })
      expect(res.status, voice).toBe(200)
      expect(res.body.settings.messages.welcome.voice).toBe(voice)
    }
  })
})

describe('GET /v1/numbers/:id/settings/messages/:slot/audio', () => {
  it('renders a text-to-speech message to WAV, longer for a longer text', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    const short = await listen(hub, company, n.id, 'callback_confirmation')
    expect(short.status).toBe(200)
    expect(short.type).toBe('audio/wav')
    const long = await hub.call('PUT', `/v1/numbers/${n.id}/settings/messages/welcome`, {
      auth: company.basic,
      body: {
        message: {
          type: 'tts',
          text: 'Welcome to Acme. For sales, press one. For support, press two. For anything else, stay on the line.',
          language: 'en-GB',
          voice: 'brian',
        },
      },
    })
    expect(long.status).toBe(200)
    const welcome = await listen(hub, company, n.id, 'welcome')
    expect(welcome.type).toBe('audio/wav')
    expect(wavSeconds(welcome.bytes)).toBeGreaterThan(wavSeconds(short.bytes))
  })

  it('answers an uploaded file as its MP3, and 404 for an empty slot or a library track', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    const mp3 = new Uint8Array(417 * 20)
    for (let i = 0; i < 20; i++) mp3.set([0xff, 0xfb, 0x90, 0x64], i * 417)
    const form = new FormData()
    form.append('file', new File([mp3], 'hello.mp3', { type: 'audio/mpeg' }))
    const upload = await hub.app.request(`http://hub.test/v1/numbers/${n.id}/audio`, {
      method: 'POST',
      headers: { authorization: company.basic },
      body: form,
    })
    const audio = (await upload.json()).audio
    await hub.call('PATCH', `/v1/numbers/${n.id}/settings`, {
      auth: company.basic,
      body: { messages: { welcome: { type: 'audio', audio_id: audio.id }, ivr_menu: null } },
    })
    const welcome = await listen(hub, company, n.id, 'welcome')
    expect(welcome.status).toBe(200)
    expect(welcome.type).toBe('audio/mpeg')
    expect(welcome.bytes).toEqual(mp3)
    expect((await listen(hub, company, n.id, 'ivr_menu')).status).toBe(404)
    expect((await listen(hub, company, n.id, 'music_on_hold')).status).toBe(404)
    expect((await listen(hub, company, n.id, 'nothing')).status).toBe(400)
  })

  securityCases(() => hub, {
    method: 'GET',
    path: async (company) =>
      `/v1/numbers/${(await createNumber(hub, company)).id}/settings/messages/closed/audio`,
    adminOnly: true,
    ownedResource: true,
  })
})

describe('the espeak-ng engine', () => {
  let dir: string
  let espeakHub: TestHub
  beforeAll(async () => {
    // A stand-in for the espeak-ng command: records its arguments and the text, answers a WAV.
    dir = mkdtempSync(join(tmpdir(), 'sb-espeak-'))
    writeFileSync(join(dir, 'out.wav'), wavFile(new Float32Array(1600)))
    const command = join(dir, 'espeak-ng')
    writeFileSync(
      command,
      `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/args"\ncat > "${dir}/text"\ncat "${dir}/out.wav"\n`,
    )
    chmodSync(command, 0o755)
    espeakHub = await createTestHub({ env: { TTS_ENGINE: 'espeak-ng', TTS_ESPEAK_COMMAND: command } })
  })
  afterAll(async () => {
    await espeakHub.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it("speaks the message's text with the language's eSpeak voice and the voice's gender", async () => {
    const company = await espeakHub.createCompany()
    const n = await createNumber(espeakHub, company)
    await espeakHub.call('PUT', `/v1/numbers/${n.id}/settings/messages/welcome`, {
      auth: company.basic,
      body: { message: { type: 'tts', text: 'Bienvenue chez Acme', language: 'fr-FR', voice: 'mathieu' } },
    })
    const res = await listen(espeakHub, company, n.id, 'welcome')
    expect(res.status).toBe(200)
    expect(res.type).toBe('audio/wav')
    expect(res.bytes).toEqual(new Uint8Array(readFileSync(join(dir, 'out.wav'))))
    expect(readFileSync(join(dir, 'text'), 'utf8')).toBe('Bienvenue chez Acme')
    expect(readFileSync(join(dir, 'args'), 'utf8').split('\n')).toEqual(
      expect.arrayContaining(['--stdout', 'fr+m3', '--stdin']),
    )
  })

  it('falls back to the builtin rendering when the command fails', async () => {
    writeFileSync(join(dir, 'out.wav'), 'not a wav')
    const company = await espeakHub.createCompany()
    const n = await createNumber(espeakHub, company)
    const res = await listen(espeakHub, company, n.id, 'closed')
    expect(res.status).toBe(200)
    expect(wavSeconds(res.bytes)).toBeGreaterThan(1)
  })
})

describe('builtin rendering', () => {
  it('paces the text: more words and pauses make a longer rendering', () => {
    const one = renderBuiltin('Hello', { gender: 'female' })
    const sentence = renderBuiltin('Hello, and welcome. Please hold.', { gender: 'male' })
    const seconds = (b: Uint8Array) => Buffer.from(b).readUInt32LE(40) / 32000
    expect(seconds(sentence)).toBeGreaterThan(seconds(one) + 0.5)
    expect(TTS_LANGUAGES.every((l) => l.voices.length > 0)).toBe(true)
  })
})
