import { describe, expect, it } from 'vitest'
import { estimateMp3DurationMs, findFirstFrame, isMp3, parseFrameHeader } from './mp3.ts'

/** MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, joint stereo: 417-byte frames (no padding). */
const HEADER = [0xff, 0xfb, 0x90, 0x64]
const FRAME = 417
/** MPEG-2 Layer III, 64 kbit/s, 22.05 kHz, mono: 208-byte frames. */
const HEADER_V2 = [0xff, 0xf3, 0x80, 0xc4]
const FRAME_V2 = 208

/** `count` frames of `header`, `frameBytes` long, then `tail` (defaults to nothing). */
function frames(count: number, tail: number[] = [], header = HEADER, frameBytes = FRAME): Uint8Array {
  const bytes = new Uint8Array(count * frameBytes + tail.length)
  for (let i = 0; i < count; i++) bytes.set(header, i * frameBytes)
  bytes.set(tail, count * frameBytes)
  return bytes
}

function withId3v2(audio: Uint8Array, tagBytes = 30): Uint8Array {
  const bytes = new Uint8Array(10 + tagBytes + audio.length)
  bytes.set([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, tagBytes]) // "ID3" v2.3, syncsafe size
  bytes.set(audio, 10 + tagBytes)
  return bytes
}

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  const all = parts.flatMap((p) => [...p])
  return new Uint8Array(all)
}

const id3v1 = () => {
  const tag = new Uint8Array(128)
  tag.set([0x54, 0x41, 0x47]) // "TAG"
  return tag
}

const junk = (n: number) => Array.from({ length: n }, (_, i) => (i * 37 + 11) % 251)

describe('parseFrameHeader', () => {
  it('reads the frame length the header announces', () => {
    expect(parseFrameHeader(new Uint8Array(HEADER), 0)).toMatchObject({
      version: 1,
      bitrateKbps: 128,
      sampleRate: 44100,
      frameLength: FRAME,
    })
    expect(parseFrameHeader(new Uint8Array(HEADER_V2), 0)).toMatchObject({
      version: 2,
      channels: 1,
      frameLength: FRAME_V2,
    })
  })
})

describe('isMp3', () => {
  it('accepts two consecutive frames, a truncated last frame, and a file that is exactly one frame', () => {
    expect(isMp3(frames(2))).toBe(true)
    expect(isMp3(frames(1, [...HEADER, ...junk(50)]))).toBe(true)
    expect(isMp3(frames(1))).toBe(true)
    expect(isMp3(frames(2, [], HEADER_V2, FRAME_V2))).toBe(true)
    expect(isMp3(concat(frames(1), id3v1()))).toBe(true)
  })

  it('skips an ID3v2 tag, then applies the same rule', () => {
    expect(isMp3(withId3v2(frames(2)))).toBe(true)
    expect(isMp3(withId3v2(frames(1)))).toBe(true)
    expect(findFirstFrame(withId3v2(frames(3), 64))?.offset).toBe(74)
    // Zero padding after the tag (encoders leave some) before the first frame.
    expect(findFirstFrame(withId3v2(concat(new Uint8Array(20), frames(2))))?.offset).toBe(60)
    expect(isMp3(withId3v2(new Uint8Array(HEADER)))).toBe(false)
    expect(isMp3(withId3v2(frames(1, junk(100))))).toBe(false)
  })

  it('refuses a lone frame header', () => {
    expect(isMp3(new Uint8Array(HEADER))).toBe(false)
    expect(isMp3(new Uint8Array(HEADER_V2))).toBe(false)
  })

  it('refuses a header followed by less than a frame of anything', () => {
    expect(isMp3(new Uint8Array([...HEADER, ...junk(3)]))).toBe(false)
    expect(isMp3(new Uint8Array([...HEADER, ...junk(200)]))).toBe(false)
    expect(isMp3(new Uint8Array([...HEADER, ...junk(FRAME - 5)]))).toBe(false) // one byte short
  })

  it('refuses a frame followed by anything but a frame header or an exact ID3v1 tag', () => {
    expect(isMp3(frames(1, junk(3)))).toBe(false)
    expect(isMp3(frames(1, [0xff, 0xfb, 0x90]))).toBe(false) // three bytes of a header
    expect(isMp3(frames(1, junk(600)))).toBe(false)
    expect(isMp3(concat(frames(1), id3v1(), [0]))).toBe(false)
    expect(isMp3(concat(frames(1, [0]), id3v1()))).toBe(false)
    // A header at the wrong distance (the next one a byte late) is not a second frame.
    expect(isMp3(frames(1, [0, ...HEADER, ...junk(FRAME)]))).toBe(false)
  })

  it('estimates the duration of what it accepts only', () => {
    expect(estimateMp3DurationMs(frames(100))).toBe(2606)
    expect(estimateMp3DurationMs(frames(1))).toBe(26)
    expect(estimateMp3DurationMs(new Uint8Array(HEADER))).toBeNull()
  })
})
