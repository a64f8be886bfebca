import { describe, expect, it } from 'vitest'
import { estimateMp3DurationMs, findFirstFrame, parseFrameHeader } from '../../services/numbers/mp3.ts'
import { CALL_AUDIO_KBPS, CALL_AUDIO_SAMPLE_RATE, renderCallAudio } from './call-audio.ts'

/** Walks the file frame by frame, as a decoder does: every frame header valid, back to back to the end. */
function frames(bytes: Uint8Array) {
  const first = findFirstFrame(bytes)
  if (!first) throw new Error('no MP3 frame')
  const headers = []
  let at = first.offset
  while (at < bytes.length) {
    const header = parseFrameHeader(bytes, at)
    if (!header) throw new Error(`no frame header at byte ${at} of ${bytes.length}`)
    headers.push(header)
    at += header.frameLength
  }
  expect(at).toBe(bytes.length)
  return { offset: first.offset, headers }
}

describe('renderCallAudio', () => {
  it.each([
    ['recording', 12],
    ['voicemail', 7.5],
  ] as const)(
    'renders a %s of %s s as MPEG Layer III frames from the first byte to the last',
    async (kind, seconds) => {
      const mp3 = await renderCallAudio({ kind, seconds, seed: 42 })
      const { offset, headers } = frames(mp3)
      expect(offset).toBe(0)
      for (const h of headers) {
        expect(h).toMatchObject({
          sampleRate: CALL_AUDIO_SAMPLE_RATE,
          channels: 1,
          bitrateKbps: CALL_AUDIO_KBPS,
        })
      }
      // Each frame holds 576 samples at 16 kHz: the frames' length is the asked duration,
      // give or take the encoder's start delay and last partial frame (< 0.15 s).
      const decodedSec = (headers.length * headers[0]!.samplesPerFrame) / CALL_AUDIO_SAMPLE_RATE
      expect(Math.abs(decodedSec - seconds)).toBeLessThan(0.15)
      expect(Math.abs(estimateMp3DurationMs(mp3)! - seconds * 1000)).toBeLessThan(150)
    },
  )

  it('carries sound, not silence: the frames hold far more data than silent ones would need', async () => {
    // At a constant bitrate every frame has the same size, so compare what LAME had to spend:
    // silent frames are padded with zeros; speech fills them with Huffman-coded spectra.
    const mp3 = await renderCallAudio({ kind: 'recording', seconds: 6, seed: 7 })
    const zeros = mp3.reduce((n, b) => n + (b === 0 ? 1 : 0), 0)
    expect(zeros / mp3.length).toBeLessThan(0.3)
  })

  it('gives the same bytes for the same seed, other bytes for another seed or kind', async () => {
    const a = await renderCallAudio({ kind: 'recording', seconds: 3, seed: 1 })
    const again = await renderCallAudio({ kind: 'recording', seconds: 3, seed: 1 })
    const otherSeed = await renderCallAudio({ kind: 'recording', seconds: 3, seed: 2 })
    const voicemail = await renderCallAudio({ kind: 'voicemail', seconds: 3, seed: 1 })
    expect(Buffer.compare(a, again)).toBe(0)
    expect(Buffer.compare(a, otherSeed)).not.toBe(0)
    expect(Buffer.compare(a, voicemail)).not.toBe(0)
  })

  it('renders a one-second voicemail and refuses durations it cannot render', async () => {
    const short = await renderCallAudio({ kind: 'voicemail', seconds: 1, seed: 3 })
    expect(frames(short).headers.length).toBeGreaterThan(20)
    await expect(renderCallAudio({ kind: 'voicemail', seconds: 0, seed: 1 })).rejects.toThrow(RangeError)
    await expect(renderCallAudio({ kind: 'voicemail', seconds: Number.NaN, seed: 1 })).rejects.toThrow(
      RangeError,
    )
    await expect(renderCallAudio({ kind: 'recording', seconds: 4 * 3600, seed: 1 })).rejects.toThrow(
      RangeError,
    )
  })
})
