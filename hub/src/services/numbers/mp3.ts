/**
 * Just enough of the MP3 format to refuse files that are not MP3 (whatever their name or
 * content type says) and to estimate a file's duration. An MP3 file is an optional ID3v2 tag
 * followed by MPEG audio Layer III frames, each starting with an 11-bit frame sync (0xFFE).
 * See http://www.mp3-tech.org/programmer/frame_header.html.
 */

type FrameHeader = {
  version: 1 | 2 | 2.5
  bitrateKbps: number
  sampleRate: number
  channels: 1 | 2
  frameLength: number
  samplesPerFrame: number
}

const BITRATES_V1_L3 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
const BITRATES_V2_L3 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
const SAMPLE_RATES: Record<1 | 2 | 2.5, number[]> = {
  1: [44100, 48000, 32000],
  2: [22050, 24000, 16000],
  2.5: [11025, 12000, 8000],
}

export function parseFrameHeader(b: Uint8Array, i: number): FrameHeader | null {
  if (i + 4 > b.length) return null
  if (b[i] !== 0xff || (b[i + 1]! & 0xe0) !== 0xe0) return null
  const versionBits = (b[i + 1]! >> 3) & 0b11
  const layerBits = (b[i + 1]! >> 1) & 0b11
  if (versionBits === 0b01 || layerBits !== 0b01) return null // reserved version, or not Layer III
  const version = versionBits === 0b11 ? 1 : versionBits === 0b10 ? 2 : 2.5
  const bitrateIndex = b[i + 2]! >> 4
  const rateIndex = (b[i + 2]! >> 2) & 0b11
  if (bitrateIndex === 0 || bitrateIndex === 0b1111 || rateIndex === 0b11) return null // free / bad / reserved
  const bitrateKbps = (version === 1 ? BITRATES_V1_L3 : BITRATES_V2_L3)[bitrateIndex]!
  const sampleRate = SAMPLE_RATES[version][rateIndex]!
  const padding = (b[i + 2]! >> 1) & 1
  const channels = b[i + 3]! >> 6 === 0b11 ? 1 : 2
  const samplesPerFrame = version === 1 ? 1152 : 576
  const frameLength = Math.floor(((samplesPerFrame / 8) * bitrateKbps * 1000) / sampleRate) + padding
  return { version, bitrateKbps, sampleRate, channels, frameLength, samplesPerFrame }
}

/** Byte offset after an ID3v2 tag at the start (0 when there is none), or null if the tag is malformed. */
function id3v2End(b: Uint8Array): number | null {
  if (b.length < 10 || b[0] !== 0x49 || b[1] !== 0x44 || b[2] !== 0x33) return 0 // "ID3"
  if (b[3]! < 2 || b[3]! > 4 || b[3] === 0xff || b[4] === 0xff) return null
  for (let k = 6; k < 10; k++) if (b[k]! >= 0x80) return null // sizes are "syncsafe": 7 bits a byte
  const size = (b[6]! << 21) | (b[7]! << 14) | (b[8]! << 7) | b[9]!
  const footer = b[5]! & 0x10 ? 10 : 0
  return 10 + size + footer
}

/** How far past an ID3 tag padding may push the first frame before we stop looking. */
const MAX_SEARCH = 64 * 1024

/** An ID3v1 tag ("TAG" + 125 bytes) that fills the file exactly from `i` to its end. */
const isId3v1At = (b: Uint8Array, i: number) =>
  b.length - i === 128 && b[i] === 0x54 && b[i + 1] === 0x41 && b[i + 2] === 0x47

/**
 * Where the first MPEG Layer III frame starts, or null when the bytes are not an MP3 file.
 * Without an ID3v2 tag the frame must be at offset 0. Four bytes that parse as a header prove
 * little (random data holds 0xFFE often enough), so the frame must be followed, at the length
 * its header announces, by another valid frame header, unless the file ends exactly there
 * (a one-frame file, possibly with an ID3v1 tag after it). A lone header, or a header followed
 * by less than a frame of anything, is refused.
 */
export function findFirstFrame(b: Uint8Array): { offset: number; header: FrameHeader } | null {
  const start = id3v2End(b)
  if (start === null || start >= b.length) return null
  const last = start === 0 ? 0 : Math.min(b.length - 4, start + MAX_SEARCH)
  for (let i = start; i <= last; i++) {
    const header = parseFrameHeader(b, i)
    if (!header) continue
    const next = i + header.frameLength
    if (next === b.length || isId3v1At(b, next) || parseFrameHeader(b, next)) return { offset: i, header }
  }
  return null
}

export const isMp3 = (b: Uint8Array) => findFirstFrame(b) !== null

/**
 * Duration in ms: exact for VBR files with a Xing/Info frame count, else estimated from the
 * first frame's bitrate (exact for constant-bitrate files). null when not an MP3.
 */
export function estimateMp3DurationMs(b: Uint8Array): number | null {
  const first = findFirstFrame(b)
  if (!first) return null
  const { offset, header } = first
  const sideInfo = header.version === 1 ? (header.channels === 1 ? 17 : 32) : header.channels === 1 ? 9 : 17
  const xing = offset + 4 + sideInfo
  const tag = String.fromCharCode(...b.subarray(xing, xing + 4))
  if ((tag === 'Xing' || tag === 'Info') && xing + 12 <= b.length && b[xing + 7]! & 1) {
    const frames = ((b[xing + 8]! << 24) | (b[xing + 9]! << 16) | (b[xing + 10]! << 8) | b[xing + 11]!) >>> 0
    return Math.round((frames * header.samplesPerFrame * 1000) / header.sampleRate)
  }
  const hasId3v1 =
    b.length >= 128 && b[b.length - 128] === 0x54 && b[b.length - 127] === 0x41 && b[b.length - 126] === 0x47
  const audioBytes = b.length - offset - (hasId3v1 ? 128 : 0)
  return Math.round((audioBytes * 8) / header.bitrateKbps)
}
