import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestHub } from '../../../../test/helpers/hub.ts'
import { urlSigningSecret } from '../../../blobs/url-signing-secret.ts'
import { estimateMp3DurationMs, isMp3 } from '../../../services/numbers/mp3.ts'
import { signedAssetUrl, storeCallAsset } from '../../../telephony/audio/call-assets.ts'

let hub: TestHub
let secret: string
beforeAll(async () => {
  hub = await createTestHub()
  secret = urlSigningSecret(hub.deps.env)
})
afterAll(() => hub.close())

/** GET of an absolute URL the hub handed out, with no credentials, as a browser's audio player. */
async function download(url: string) {
  const res = await hub.app.request(url)
  return { status: res.status, headers: res.headers, bytes: new Uint8Array(await res.arrayBuffer()) }
}

async function voicemailOf(companyId: number, callId: number) {
  const blobKey = await storeCallAsset(hub.blobs, { companyId, callId, kind: 'voicemail', seconds: 4 })
  return {
    blobKey,
    ...signedAssetUrl({ secret, base: 'http://hub.test', companyId, blobKey, now: hub.clock.now() }),
  }
}

describe('GET /v1/call-assets/… (signed links of recordings and voicemails)', () => {
  it('serves the stored MP3 with no credentials until the link expires, then refuses it', async () => {
    const company = await hub.createCompany()
    const blobKey = await storeCallAsset(hub.blobs, {
      companyId: company.id,
      callId: 501,
      kind: 'recording',
      seconds: 5,
    })
    expect(blobKey).toMatch(new RegExp(`^c/${company.id}/calls/501/recording-[0-9a-f-]{36}\\.mp3$`))
    const { url, expiresAt } = signedAssetUrl({
      secret,
      base: 'http://hub.test/',
      companyId: company.id,
      blobKey,
      now: hub.clock.now(),
      ttlSec: 300,
    })
    expect(url.startsWith(`http://hub.test/v1/call-assets/${company.id}/501/recording-`)).toBe(true)
    expect(expiresAt.getTime() - hub.clock.now().getTime()).toBe(300_000)

    const ok = await download(url)
    expect(ok.status).toBe(200)
    expect(ok.headers.get('content-type')).toBe('audio/mpeg')
    expect(ok.headers.get('cache-control')).toBe('private, max-age=300')
    expect(isMp3(ok.bytes)).toBe(true)
    expect(Math.abs(estimateMp3DurationMs(ok.bytes)! - 5000)).toBeLessThan(150)
    expect(Buffer.compare(Buffer.from(ok.bytes), Buffer.from((await hub.blobs.get(blobKey))!.bytes))).toBe(0)

    hub.clock.advance(299_000)
    expect((await download(url)).status).toBe(200)
    hub.clock.advance(1_000)
    const expired = await download(url)
    expect(expired.status).toBe(403)
    expect(new TextDecoder().decode(expired.bytes)).toContain('expired')
  })

  it('refuses a link edited in any part: signature, expiry, call, file', async () => {
    const company = await hub.createCompany()
    const { url } = await voicemailOf(company.id, 77)
    expect((await download(url)).status).toBe(200)
    const u = new URL(url)
    const sig = u.searchParams.get('signature')!
    const flipped = `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`
    const withSig = new URL(url)
    withSig.searchParams.set('signature', flipped)
    expect((await download(withSig.toString())).status).toBe(403)
    const later = new URL(url)
    later.searchParams.set('expires', String(Number(u.searchParams.get('expires')) + 3600))
    expect((await download(later.toString())).status).toBe(403)
    const otherCall = url.replace(`/${company.id}/77/`, `/${company.id}/78/`)
    expect((await download(otherCall)).status).toBe(403)
    const noSignature = new URL(url)
    noSignature.searchParams.delete('signature')
    expect((await download(noSignature.toString())).status).toBe(404)
    const traversal = url.replace('/77/', '/..%2F..%2Fetc/')
    expect((await download(traversal)).status).toBe(404)
  })

  it("another company's link cannot reach this company's files, nor be minted for them", async () => {
    const a = await hub.createCompany()
    const b = await hub.createCompany()
    const ofA = await voicemailOf(a.id, 900)
    const ofB = await voicemailOf(b.id, 900)
    // B's valid link, pointed at A's file (same call id, A's company and file name): refused.
    const file = ofA.blobKey.split('/').at(-1)!
    const bSignatureOnA = ofB.url
      .replace(`/call-assets/${b.id}/`, `/call-assets/${a.id}/`)
      .replace(/voicemail-[0-9a-f-]{36}\.mp3/, file)
    expect((await download(bSignatureOnA)).status).toBe(403)
    // B's link with only the company changed to A: A's key does not verify B's signature.
    const bFileUnderA = ofB.url.replace(`/call-assets/${b.id}/`, `/call-assets/${a.id}/`)
    expect((await download(bFileUnderA)).status).toBe(403)
    // Signing never names a file outside the company's namespace.
    expect(() =>
      signedAssetUrl({
        secret,
        base: 'http://hub.test',
        companyId: b.id,
        blobKey: ofA.blobKey,
        now: hub.clock.now(),
      }),
    ).toThrow(RangeError)
    expect((await download(ofA.url)).status).toBe(200)
    expect((await download(ofB.url)).status).toBe(200)
  })

  it('answers 404 once the file is deleted, even through a valid link', async () => {
    const company = await hub.createCompany()
    const { url, blobKey } = await voicemailOf(company.id, 12)
    await hub.blobs.delete(blobKey)
    expect((await download(url)).status).toBe(404)
  })

  it('signs with a secret only this hub knows: another secret verifies nothing', async () => {
    const company = await hub.createCompany()
    const blobKey = await storeCallAsset(hub.blobs, {
      companyId: company.id,
      callId: 3,
      kind: 'voicemail',
      seconds: 2,
    })
    const forged = signedAssetUrl({
      secret: 'someone-else-s-secret-0123456789abcdef',
      base: 'http://hub.test',
      companyId: company.id,
      blobKey,
      now: hub.clock.now(),
    })
    expect((await download(forged.url)).status).toBe(403)
  })
})
