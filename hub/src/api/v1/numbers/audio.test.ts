import { randomUUID } from 'node:crypto'
import { createServer, type Server } from 'node:http'
import { type AddressInfo, createServer as createTcpServer, type Server as TcpServer } from 'node:net'
import { eq } from 'drizzle-orm'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { numberAudio } from '../../../db/schema/index.ts'
import { audioDownloadLoad, MAX_CONCURRENT_AUDIO_DOWNLOADS } from '../../../services/numbers/audio-fetch.ts'
import { estimateMp3DurationMs, isMp3 } from '../../../services/numbers/mp3.ts'
import { createNumber } from './numbers-fixtures.ts'

let hub: TestHub
beforeAll(async () => {
  // The audio host below is on loopback: the hub may download from private addresses.
  hub = await createTestHub({ env: { AUDIO_URLS_ALLOW_PRIVATE: 'true' } })
})
afterAll(() => hub.close())

/** MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, joint stereo: 417-byte frames of 26.1 ms. */
const FRAME_HEADER = [0xff, 0xfb, 0x90, 0x64]
const FRAME_BYTES = 417

function mp3Frames(count: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(count * FRAME_BYTES)
  for (let i = 0; i < count; i++) bytes.set(FRAME_HEADER, i * FRAME_BYTES)
  return bytes
}

function withId3(audio: Uint8Array, tagBytes = 30): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(10 + tagBytes + audio.length)
  bytes.set([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, tagBytes]) // "ID3" v2.4, syncsafe size
  bytes.set(audio, 10 + tagBytes)
  return bytes
}

const ascii = (text: string) => new Uint8Array(Buffer.from(text, 'latin1'))

async function upload(
  company: TestCompany,
  numberId: number,
  bytes: Uint8Array<ArrayBuffer>,
  name = 'welcome.mp3',
) {
  const form = new FormData()
  form.append('file', new File([bytes], name, { type: 'audio/mpeg' }))
  const res = await hub.app.request(`http://hub.test/v1/numbers/${numberId}/audio`, {
    method: 'POST',
    headers: { authorization: company.basic },
    body: form,
  })
  return { status: res.status, body: await res.json() }
}

describe('MP3 detection', () => {
  it('accepts MPEG frames with or without an ID3 tag and reads their duration', () => {
    expect(isMp3(mp3Frames(1))).toBe(true)
    expect(isMp3(withId3(mp3Frames(3)))).toBe(true)
    expect(estimateMp3DurationMs(mp3Frames(100))).toBe(2606)
    expect(estimateMp3DurationMs(withId3(mp3Frames(100)))).toBe(2606)
  })

  it('refuses what only looks like MP3', () => {
    const brokenSecondFrame = mp3Frames(2)
    brokenSecondFrame.set([0x00, 0x00], FRAME_BYTES)
    const layerOne = mp3Frames(1)
    layerOne[1] = 0xff // Layer I: an MPEG file, but not MP3
    const cases: Uint8Array[] = [
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]), // PNG
      ascii('this is not audio at all, just text'),
      withId3(ascii('no audio frames after the tag, only text')),
      brokenSecondFrame,
      layerOne,
      ascii('ID3'),
      new Uint8Array(0),
    ]
    for (const bytes of cases) expect(isMp3(bytes)).toBe(false)
  })
})

describe('POST /v1/numbers/:id/audio', () => {
  it('stores an MP3 in the blob store and makes it usable as a message and as music', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    const bytes = withId3(mp3Frames(200))
    const res = await upload(company, n.id, bytes, 'Accueil été.mp3')
    expect(res.status).toBe(201)
    const audio = res.body.audio
    expect(audio).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Accueil été.mp3',
      size: bytes.length,
      duration_sec: 5.2,
      url: `http://hub.test/v1/numbers/${n.id}/audio/${audio.id}`,
      created_at: hub.clock.now().toISOString(),
    })
    const blob = await hub.blobs.get(`c/${company.id}/audio/${audio.id}.mp3`)
    expect(blob?.bytes).toEqual(bytes)

    const put = await hub.call('PUT', `/v1/numbers/${n.id}/settings/messages`, {
      auth: company.basic,
      body: {
        welcome: { type: 'audio', audio_id: audio.id },
        music_on_hold: { type: 'audio', audio_id: audio.id },
      },
    })
    expect(put.status, JSON.stringify(put.body)).toBe(200)
    const number = await hub.call('GET', `/v1/numbers/${n.id}`, { auth: company.basic })
    expect(number.body.number.messages).toMatchObject({
      welcome: audio.url,
      waiting: audio.url,
      after_hours: null,
    })

    const download = await hub.app.request(audio.url, { headers: { authorization: company.basic } })
    expect(download.status).toBe(200)
    expect(download.headers.get('content-type')).toBe('audio/mpeg')
    expect(new Uint8Array(await download.arrayBuffer())).toEqual(bytes)
  })

  it('keeps a safe file name', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    const res = await upload(company, n.id, mp3Frames(2), 'C:\\music\\hold\u0000me.mp3')
    expect(res.status).toBe(201)
    expect(res.body.audio.name).toBe('holdme.mp3')
  })

  it('refuses files that are not MP3 whatever their name, with the field named', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    for (const bytes of [ascii('GIF89a fake'), withId3(ascii('garbage after a real-looking tag'))]) {
      const res = await upload(company, n.id, bytes, 'music.mp3')
      expect(res.status).toBe(400)
      expect(res.body.field).toBe('file')
    }
  })

  it('answers 413 past 10 MB', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    const big = mp3Frames(Math.ceil((10 * 1024 * 1024 + 1) / FRAME_BYTES))
    const res = await upload(company, n.id, big)
    expect(res.status).toBe(413)
    expect(res.body.code).toBe('payload_too_large')
  })

  it('answers 400 naming `file` when the form has no file', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    const form = new FormData()
    form.append('other', 'x')
    const res = await hub.app.request(`http://hub.test/v1/numbers/${n.id}/audio`, {
      method: 'POST',
      headers: { authorization: company.basic },
      body: form,
    })
    expect(res.status).toBe(400)
    expect((await res.json()).field).toBe('file')
  })

  securityCases(() => hub, {
    method: 'POST',
    path: async (company) => `/v1/numbers/${(await createNumber(hub, company)).id}/audio`,
    adminOnly: true,
    ownedResource: true,
  })
})

describe('GET /v1/numbers/:id/audio/:audio_id', () => {
  it("answers 404 for another company's file even through one's own number", async () => {
    const owner = await hub.createCompany()
    const intruder = await hub.createCompany()
    const ownerNumber = await createNumber(hub, owner)
    const intruderNumber = await createNumber(hub, intruder)
    const audio = (await upload(owner, ownerNumber.id, mp3Frames(5))).body.audio
    const res = await hub.call('GET', `/v1/numbers/${intruderNumber.id}/audio/${audio.id}`, {
      auth: intruder.basic,
    })
    expect(res.status).toBe(404)
    const bad = await hub.call('GET', `/v1/numbers/${ownerNumber.id}/audio/not-a-uuid`, { auth: owner.basic })
    expect(bad.status).toBe(400)
    expect(bad.body.field).toBe('audio_id')
  })

  securityCases(() => hub, {
    method: 'GET',
    path: async (company) => {
      const n = await createNumber(hub, company)
      return `/v1/numbers/${n.id}/audio/${(await upload(company, n.id, mp3Frames(3))).body.audio.id}`
    },
    adminOnly: true,
    ownedResource: true,
  })
})

/** A public audio host on loopback (AUDIO_URLS_ALLOW_PRIVATE allows it in these tests). */
const WELCOME = withId3(mp3Frames(200))
const HOLD = mp3Frames(100)
const MENU = mp3Frames(50)
const served: Record<string, Uint8Array | string> = {
  '/audio/welcome.mp3': WELCOME,
  '/audio/hold.mp3': HOLD,
  '/audio/menu.mp3': MENU,
  '/audio/race.mp3': HOLD,
  '/audio/stall.mp3': HOLD,
  '/audio/notes.txt': 'Meeting notes: this is text, not audio.',
  // MP3 frames just past 10 MB, sent without a Content-Length: counted while streaming.
  '/audio/huge.mp3': mp3Frames(Math.ceil((10 * 1024 * 1024 + 1) / FRAME_BYTES)),
}
let audioHost: Server
let origin: string
const fetched: string[] = []
const timesFetched = (path: string) => fetched.filter((p) => p === path).length
/** Something to do while a path is being fetched, before it is answered. */
const whileFetching = new Map<string, () => Promise<void>>()
/** Holds a loopback port and resets every connection: nothing else can take the port meanwhile. */
let resetter: TcpServer
let resetPort: number

beforeAll(async () => {
  audioHost = createServer((req, res) => {
    const path = req.url ?? ''
    fetched.push(path)
    const body = served[path]
    const answer = () => {
      if (body === undefined) res.writeHead(404).end('not found')
      else if (path === '/audio/huge.mp3') {
        res.writeHead(200, { 'content-type': 'audio/mpeg' })
        res.end(body)
      } else res.writeHead(200, { 'content-length': String(Buffer.byteLength(body)) }).end(body)
    }
    const meanwhile = whileFetching.get(path)
    if (meanwhile) void meanwhile().then(answer, () => res.writeHead(500).end('test hook failed'))
    else answer()
  })
  await new Promise<void>((resolve) => audioHost.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(audioHost.address() as AddressInfo).port}`
  resetter = createTcpServer((socket) => socket.resetAndDestroy())
  await new Promise<void>((resolve) => resetter.listen(0, '127.0.0.1', resolve))
  resetPort = (resetter.address() as AddressInfo).port
})
afterAll(async () => {
  audioHost.closeAllConnections()
  await new Promise<void>((resolve) => audioHost.close(() => resolve()))
  await new Promise<void>((resolve) => resetter.close(() => resolve()))
})

const audioUrl = (name: string) => `${origin}/audio/${name}`

async function putNumber(company: TestCompany, id: number, body: Record<string, unknown>) {
  return hub.call('PUT', `/v1/numbers/${id}`, { auth: company.basic, body })
}

async function storedAudio(company: TestCompany) {
  const rows = await hub.db.select().from(numberAudio).where(eq(numberAudio.companyId, company.id))
  const blobs = hub.blobs.keys().filter((k) => k.startsWith(`c/${company.id}/`))
  return { rows, blobs }
}

async function download(company: TestCompany, url: string) {
  const res = await hub.app.request(url, { headers: { authorization: company.basic } })
  expect(res.status).toBe(200)
  return new Uint8Array(await res.arrayBuffer())
}

describe('PUT /v1/numbers/:id messages (public MP3 URLs)', () => {
  it('downloads each URL once, stores it like an upload and points the settings slots at it', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    const welcomeFetches = timesFetched('/audio/welcome.mp3')
    const res = await putNumber(company, n.id, {
      name: 'Main line',
      messages: {
        welcome: audioUrl('welcome.mp3'),
        waiting: audioUrl('hold.mp3'),
        unanswered_call: audioUrl('welcome.mp3'),
        after_hours: audioUrl('menu.mp3'),
        ringing_tone: null,
      },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(timesFetched('/audio/welcome.mp3')).toBe(welcomeFetches + 1)
    const { messages, settings } = res.body.number
    expect(res.body.number.name).toBe('Main line')
    const link = (slot: string) =>
      `http://hub.test/v1/numbers/${n.id}/audio/${settings.messages[slot].audio_id}`
    for (const slot of ['welcome', 'music_on_hold', 'unavailable', 'closed']) {
      expect(settings.messages[slot], slot).toEqual({ type: 'audio', audio_id: expect.any(String) })
    }
    expect(settings.messages.unavailable).toEqual(settings.messages.welcome)
    expect(messages).toEqual({
      welcome: link('welcome'),
      waiting: link('music_on_hold'),
      ringing_tone: null,
      unanswered_call: link('welcome'),
      after_hours: link('closed'),
      ivr: null,
      voicemail: link('welcome'),
      closed: link('closed'),
      callback_later: null,
    })
    expect(
      (await hub.call('GET', `/v1/numbers/${n.id}`, { auth: company.basic })).body.number.messages,
    ).toEqual(messages)
    expect(await download(company, messages.welcome)).toEqual(WELCOME)
    expect(await download(company, messages.waiting)).toEqual(HOLD)
    expect(await download(company, messages.after_hours)).toEqual(MENU)

    const { rows, blobs } = await storedAudio(company)
    expect(rows.map((r) => r.name).sort()).toEqual(['hold.mp3', 'menu.mp3', 'welcome.mp3'])
    expect(rows.find((r) => r.name === 'welcome.mp3')).toMatchObject({
      numberId: n.id,
      sizeBytes: WELCOME.length,
      durationMs: estimateMp3DurationMs(WELCOME),
    })
    expect(blobs.sort()).toEqual(rows.map((r) => r.blobKey).sort())
  })

  it('on IVR numbers: ivr, the deprecated voicemail and closed, and callback_later', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company, { type: 'ivr' })
    const res = await putNumber(company, n.id, {
      messages: {
        ivr: audioUrl('menu.mp3'),
        voicemail: audioUrl('hold.mp3'),
        closed: audioUrl('welcome.mp3'),
        callback_later: audioUrl('hold.mp3'),
      },
    })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const { messages, settings } = res.body.number
    const audio = (slot: string) => settings.messages[slot].audio_id
    expect(settings.messages.ivr_menu).toMatchObject({ type: 'audio' })
    expect(audio('unavailable')).toBe(audio('callback_confirmation'))
    expect(settings.messages.welcome).toBeNull()
    expect(messages).toMatchObject({
      ivr: `http://hub.test/v1/numbers/${n.id}/audio/${audio('ivr_menu')}`,
      voicemail: messages.unanswered_call,
      closed: messages.after_hours,
      callback_later: messages.unanswered_call,
    })
    expect(await download(company, messages.ivr)).toEqual(MENU)
    expect(await download(company, messages.after_hours)).toEqual(WELCOME)
  })

  it('null restores the default message; what GET shows, or a link to an own file, is not downloaded', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    const other = await createNumber(hub, company)
    const defaults = (await hub.call('GET', `/v1/numbers/${n.id}/settings`, { auth: company.basic })).body
      .settings.messages
    const first = await putNumber(company, n.id, {
      messages: { after_hours: audioUrl('menu.mp3'), waiting: audioUrl('hold.mp3') },
    })
    expect(first.status, JSON.stringify(first.body)).toBe(200)
    const shown = first.body.number.messages
    const fetches = fetched.length

    // A GET → edit → PUT round trip: only the edited keys change.
    const edited = await putNumber(company, n.id, {
      name: 'Edited',
      messages: { ...shown, after_hours: null },
    })
    expect(edited.status, JSON.stringify(edited.body)).toBe(200)
    expect(edited.body.number.messages).toEqual({ ...shown, after_hours: null, closed: null })
    expect(edited.body.number.settings.messages.closed).toEqual(defaults.closed)
    expect(edited.body.number.settings.messages.closed).toMatchObject({ type: 'tts' })
    const reset = await putNumber(company, n.id, { messages: { waiting: null } })
    expect(reset.body.number.settings.messages.music_on_hold).toEqual({ type: 'library', track: 'default' })

    // Another number of the company reuses the file through the link GET shows.
    const reuse = await putNumber(company, other.id, { messages: { welcome: shown.waiting } })
    expect(reuse.status, JSON.stringify(reuse.body)).toBe(200)
    expect(reuse.body.number.settings.messages.welcome).toEqual(
      first.body.number.settings.messages.music_on_hold,
    )
    expect(fetched.length).toBe(fetches)
    expect((await storedAudio(company)).rows).toHaveLength(2)
  })

  it('refuses keys that do not apply, ringing_tone, conflicting aliases and unknown files, naming the key', async () => {
    const company = await hub.createCompany()
    const classic = await createNumber(hub, company)
    const ivr = await createNumber(hub, company, { type: 'ivr' })
    const url = audioUrl('welcome.mp3')
    const fetches = fetched.length
    const cases: [number, Record<string, unknown>, string, RegExp][] = [
      [classic.id, { ivr: url }, 'messages.ivr', /applies to IVR numbers only/],
      [classic.id, { closed: url }, 'messages.closed', /applies to IVR numbers only/],
      [classic.id, { ringing_tone: url }, 'messages.ringing_tone', /not supported.*`waiting`/],
      [ivr.id, { ringing_tone: url }, 'messages.ringing_tone', /applies to classic numbers only/],
      [
        ivr.id,
        { unanswered_call: url, voicemail: audioUrl('hold.mp3') },
        'messages.voicemail',
        /same message as unanswered_call/,
      ],
      [
        classic.id,
        { welcome: `http://hub.test/v1/numbers/${classic.id}/audio/${randomUUID()}` },
        'messages.welcome',
        /audio file that does not exist/,
      ],
      [classic.id, { welcome: 42 }, 'messages.welcome', /string/],
      [classic.id, { music: url }, 'messages', /music/],
    ]
    for (const [id, messages, field, reason] of cases) {
      const res = await putNumber(company, id, { name: 'Not applied', messages })
      expect(res.status, JSON.stringify(messages)).toBe(400)
      expect(res.body.field, JSON.stringify(res.body)).toBe(field)
      expect(res.body.message).toMatch(reason)
    }
    // Switching to IVR in the same request makes the IVR keys apply.
    const switched = await putNumber(company, classic.id, { type: 'ivr', messages: { ivr: url } })
    expect(switched.status, JSON.stringify(switched.body)).toBe(200)
    expect(switched.body.number.messages.ivr).toMatch(/^http:\/\/hub\.test\/v1\/numbers\/\d+\/audio\//)
    expect(fetched.length).toBe(fetches + 1)
  })

  it('a URL that gives no MP3 is a 400 naming the key, and nothing of the request is applied', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    const cases: [string, string][] = [
      [audioUrl('notes.txt'), 'is not an MP3 file'],
      [audioUrl('missing.mp3'), 'could not be downloaded: the server answered HTTP 404'],
      [audioUrl('huge.mp3'), 'is larger than 10 MB'],
      [`http://127.0.0.1:${resetPort}/welcome.mp3`, 'could not be downloaded: the connection was reset'],
      ['ftp://example.com/welcome.mp3', 'must be an http or https URL'],
    ]
    for (const [bad, reason] of cases) {
      const res = await putNumber(company, n.id, {
        name: 'Not applied',
        availability_status: 'closed',
        messages: { welcome: audioUrl('welcome.mp3'), after_hours: bad },
      })
      expect(res.status, bad).toBe(400)
      expect(res.body.field).toBe('messages.after_hours')
      expect(res.body.message).toContain(`messages.after_hours: ${reason}`)
    }
    const after = (await hub.call('GET', `/v1/numbers/${n.id}`, { auth: company.basic })).body.number
    expect(after).toEqual({ ...n, integrations: [] })
    expect(await storedAudio(company)).toEqual({ rows: [], blobs: [] })
  })

  it('downloads nothing when the rest of the request is refused', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    const fetches = fetched.length
    const res = await putNumber(company, n.id, {
      time_zone: 'Mars/Olympus',
      messages: { welcome: audioUrl('welcome.mp3'), waiting: audioUrl('hold.mp3') },
    })
    expect(res.status).toBe(400)
    expect(res.body.field).toBe('time_zone')
    // A refused key too: checked before the other keys' URLs are fetched.
    const ivrOnly = await putNumber(company, n.id, {
      messages: { welcome: audioUrl('welcome.mp3'), ivr: audioUrl('menu.mp3') },
    })
    expect(ivrOnly.status).toBe(400)
    expect(ivrOnly.body.field).toBe('messages.ivr')
    expect(fetched.length).toBe(fetches)
    expect(await storedAudio(company)).toEqual({ rows: [], blobs: [] })
    expect((await hub.call('GET', `/v1/numbers/${n.id}`, { auth: company.basic })).body.number).toEqual({
      ...n,
      integrations: [],
    })
  })

  it('deletes the downloaded files when the update is refused after the download', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company)
    // While the hub downloads, another request switches the number to IVR: the keys were
    // checked against a classic number, so the first request must not apply.
    whileFetching.set('/audio/race.mp3', async () => {
      const other = await putNumber(company, n.id, { type: 'ivr' })
      expect(other.status).toBe(200)
    })
    try {
      const res = await putNumber(company, n.id, {
        name: 'Not applied',
        messages: { welcome: audioUrl('welcome.mp3'), waiting: audioUrl('race.mp3') },
      })
      expect(res.status, JSON.stringify(res.body)).toBe(409)
      expect(res.body.message).toMatch(/changed type meanwhile/)
    } finally {
      whileFetching.delete('/audio/race.mp3')
    }
    expect(timesFetched('/audio/race.mp3')).toBe(1)
    const after = (await hub.call('GET', `/v1/numbers/${n.id}`, { auth: company.basic })).body.number
    expect(after).toMatchObject({ type: 'ivr', name: n.name })
    expect(after.messages.welcome).toBeNull()
    expect(await storedAudio(company)).toEqual({ rows: [], blobs: [] })
  })

  it('documents messages in the OpenAPI description of the route', async () => {
    const doc = await hub.call('GET', '/v1/openapi.json')
    const put = doc.body.paths['/v1/numbers/{id}'].put
    expect(put.description).toContain('`waiting` → music_on_hold')
    const schemas = doc.body.components.schemas
    expect(Object.keys(schemas.NumberMessagesUpdate.properties)).toEqual([
      'welcome',
      'waiting',
      'ringing_tone',
      'unanswered_call',
      'after_hours',
      'ivr',
      'voicemail',
      'closed',
      'callback_later',
    ])
  })

  securityCases(() => hub, {
    method: 'PUT',
    path: async (company) => `/v1/numbers/${(await createNumber(hub, company)).id}`,
    // Never fetched: authorisation and the 404 come before any download.
    body: { messages: { welcome: 'http://127.0.0.1:9/never.mp3' } },
    adminOnly: true,
    ownedResource: true,
  })
})

describe('audio downloads shared between companies', () => {
  it("another company's download starts at once while one company's URLs stall", async () => {
    const slow = await hub.createCompany()
    const other = await hub.createCompany()
    const slowNumber = await createNumber(hub, slow)
    const otherNumber = await createNumber(hub, other)
    // The stalling host answers nothing until the test lets it (well past any download deadline).
    const stalled: (() => void)[] = []
    whileFetching.set('/audio/stall.mp3', () => new Promise<void>((resolve) => stalled.push(resolve)))
    const settled: number[] = []
    // More PUTs than the process has download slots, each naming a URL that stalls.
    const slowPuts = Array.from({ length: MAX_CONCURRENT_AUDIO_DOWNLOADS + 2 }, (_, i) =>
      putNumber(slow, slowNumber.id, { messages: { welcome: audioUrl('stall.mp3') } }).then((res) => {
        settled.push(i)
        return res
      }),
    )
    try {
      // The slow company is at its limit: its first downloads hang, the others wait for a slot.
      await vi.waitFor(
        () => {
          expect(audioDownloadLoad().waiting).toBeGreaterThan(0)
          expect(stalled.length).toBe(audioDownloadLoad().active)
        },
        { timeout: 10_000, interval: 10 },
      )
      const stalledBefore = stalled.length
      const res = await putNumber(other, otherNumber.id, { messages: { welcome: audioUrl('welcome.mp3') } })
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expect(res.body.number.messages.welcome).toMatch(/\/audio\//)
      // Nothing of the slow company moved meanwhile: the other download did not wait for its turn.
      expect(settled).toEqual([])
      expect(stalled.length).toBe(stalledBefore)
    } finally {
      whileFetching.delete('/audio/stall.mp3')
      for (const answer of stalled.splice(0)) answer()
      await Promise.all(slowPuts)
    }
    expect(audioDownloadLoad()).toEqual({ active: 0, waiting: 0 })
  })
})

describe('PUT /v1/numbers/:id messages without AUDIO_URLS_ALLOW_PRIVATE', () => {
  let strict: TestHub
  beforeAll(async () => {
    // Webhooks may reach the LAN here: that must not open the audio downloads to it.
    strict = await createTestHub({
      env: { WEBHOOKS_ALLOW_PRIVATE: 'true', AUDIO_URLS_ALLOW_PRIVATE: 'false' },
    })
  })
  afterAll(() => strict.close())

  it('takes https URLs of public hosts only, refused before connecting, whatever webhooks may do', async () => {
    const company = await strict.createCompany()
    const n = await createNumber(strict, company)
    const port = new URL(origin).port
    const fetches = fetched.length
    const hook = await strict.call('POST', '/v1/webhooks', {
      auth: company.basic,
      body: { url: `${origin}/hook` },
    })
    expect(hook.status, JSON.stringify(hook.body)).toBe(201)
    const cases: [string, RegExp][] = [
      [audioUrl('welcome.mp3'), /: must be an https URL: audio is only downloaded over https$/],
      ['ftp://example.com/welcome.mp3', /: must be an https URL: audio is only downloaded over https$/],
      [`https://127.0.0.1:${port}/audio/welcome.mp3`, /private, loopback or reserved address/],
      [`https://localhost:${port}/audio/welcome.mp3`, /not a public host name/],
      ['https://169.254.169.254/latest/meta-data/', /private, loopback or reserved address/],
    ]
    for (const [url, reason] of cases) {
      const res = await strict.call('PUT', `/v1/numbers/${n.id}`, {
        auth: company.basic,
        body: { messages: { waiting: url } },
      })
      expect(res.status, url).toBe(400)
      expect(res.body.field).toBe('messages.waiting')
      expect(res.body.message).toMatch(reason)
    }
    expect(fetched.length).toBe(fetches)
  })
})
