import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestCompany, type TestHub } from '../../../../test/helpers/hub.ts'
import { securityCases } from '../../../../test/helpers/security.ts'
import { estimateMp3DurationMs, isMp3 } from '../../../services/numbers/mp3.ts'
import { createNumber } from './numbers-fixtures.ts'

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
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
