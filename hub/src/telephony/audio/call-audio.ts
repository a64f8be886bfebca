import { Mp3Encoder } from '@breezystack/lamejs'

/**
 * The audio of the sandbox carrier's calls: what a real carrier would hand back as the
 * recording of a conversation or a caller's voicemail, as an MP3 file any player opens.
 *
 * The sound is synthesized, not recorded: voiced syllables shaped by vowel formants (the same
 * idea as the builtin text-to-speech in tts/tts-render.ts), grouped into words and phrases,
 * over a faint line hiss.
 * - `recording`: two speakers (a higher and a lower voice) take turns, as agent and caller.
 * - `voicemail`: the tone callers hear after the greeting, then one caller speaking.
 * The same `{kind, seconds, seed}` always gives the same bytes, so a call's assets can be
 * rendered again (e.g. after a crash) and compared.
 *
 * Encoding: mono, 16 kHz (wideband telephony), 32 kbit/s constant bitrate, with LAME's
 * pure-JavaScript port (`@breezystack/lamejs`, LGPL-3.0, kept as an unmodified package). It
 * runs at roughly 80× real time on one core, so a rendering yields to the event loop every
 * few seconds of audio instead of holding it for a long call.
 */

export type CallAudioKind = 'recording' | 'voicemail'
export type CallAudioRequest = { kind: CallAudioKind; seconds: number; seed: number }

export const CALL_AUDIO_SAMPLE_RATE = 16_000
export const CALL_AUDIO_KBPS = 32
/** Longest asset rendered: 3 hours (at 32 kbit/s, about 43 MB). */
export const MAX_CALL_AUDIO_SEC = 3 * 3600

const SR = CALL_AUDIO_SAMPLE_RATE
/** Samples handed to the encoder at a time (a multiple of an MPEG-2 frame, 576 samples). */
const CHUNK = 576 * 16
/** Yield to the event loop after about this many samples (~4 s of audio, ~50 ms of work). */
const YIELD_EVERY = SR * 4

/** A deterministic PRNG (mulberry32): the same seed, the same call audio. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Rough formants (Hz) of the vowels syllables are built on. */
const VOWELS: [number, number][] = [
  [800, 1200],
  [500, 1800],
  [300, 2300],
  [500, 900],
  [350, 800],
  [300, 1900],
]

type Segment =
  | { start: number; length: number; type: 'syllable'; f0: number; vowel: number; glide: number }
  | { start: number; length: number; type: 'tone'; freq: number }

/** One pitch period of a vowel at f0, as a table: harmonics near the formants are loudest. */
const TABLE = 512
const tables = new Map<string, Float32Array>()
function periodTable(f0: number, vowel: number): Float32Array {
  const key = `${Math.round(f0)}:${vowel}`
  let table = tables.get(key)
  if (!table) {
    const [f1, f2] = VOWELS[vowel]!
    table = new Float32Array(TABLE)
    let peak = 0
    for (let h = 1; h * f0 < 3400; h++) {
      const freq = h * f0
      const weight = 1 / (1 + ((freq - f1) / 150) ** 2) + 0.6 / (1 + ((freq - f2) / 200) ** 2)
      for (let i = 0; i < TABLE; i++) table[i]! += weight * Math.sin((2 * Math.PI * h * i) / TABLE)
    }
    for (let i = 0; i < TABLE; i++) peak = Math.max(peak, Math.abs(table[i]!))
    for (let i = 0; i < TABLE; i++) table[i]! /= peak || 1
    if (tables.size > 256) tables.clear()
    tables.set(key, table)
  }
  return table
}

/**
 * One speaker's turn from `start` for at most `length` samples: words of 1–4 syllables, short
 * gaps between words, longer pauses between phrases.
 */
function speak(out: Segment[], rand: () => number, start: number, length: number, baseF0: number): void {
  const end = start + length
  let at = start
  let wordsInPhrase = 0
  while (at < end) {
    const syllables = 1 + Math.floor(rand() * 4)
    for (let s = 0; s < syllables && at < end; s++) {
      const len = Math.min(Math.round((0.11 + rand() * 0.1) * SR), end - at)
      const f0 = baseF0 * (0.9 + rand() * 0.25)
      out.push({
        start: at,
        length: len,
        type: 'syllable',
        f0,
        vowel: Math.floor(rand() * VOWELS.length),
        glide: (rand() - 0.5) * 0.15,
      })
      at += len
    }
    wordsInPhrase++
    const phraseEnds = wordsInPhrase >= 3 + Math.floor(rand() * 6)
    if (phraseEnds) wordsInPhrase = 0
    at += Math.round((phraseEnds ? 0.3 + rand() * 0.3 : 0.05 + rand() * 0.05) * SR)
  }
}

/** The call's timeline: what sounds when (segments in time order, never overlapping). */
function timeline(kind: CallAudioKind, total: number, rand: () => number): Segment[] {
  const out: Segment[] = []
  if (kind === 'voicemail') {
    // The beep after the greeting, then the caller until just before the end.
    const toneAt = Math.min(Math.round(0.2 * SR), total)
    const toneLength = Math.min(Math.round(0.5 * SR), total - toneAt)
    if (toneLength > 0) out.push({ start: toneAt, length: toneLength, type: 'tone', freq: 1000 })
    const speechAt = toneAt + toneLength + Math.round(0.4 * SR)
    const speechEnd = total - Math.round(0.3 * SR)
    if (speechEnd > speechAt) speak(out, rand, speechAt, speechEnd - speechAt, 105 + rand() * 120)
    return out
  }
  // Two voices taking turns: the agent (higher) opens, the caller answers.
  const voices = [190 + rand() * 40, 100 + rand() * 30]
  let at = Math.round(0.3 * SR)
  let turn = 0
  while (at < total) {
    const length = Math.min(Math.round((1.5 + rand() * 4.5) * SR), total - at)
    speak(out, rand, at, length, voices[turn % 2]!)
    at = (out.at(-1)?.start ?? at) + (out.at(-1)?.length ?? 0) + Math.round((0.25 + rand() * 0.6) * SR)
    turn++
  }
  return out
}

/** Renders samples [from, from + chunk.length) of the timeline into `chunk` (16-bit PCM). */
function renderChunk(
  chunk: Int16Array,
  from: number,
  segments: Segment[],
  cursor: { index: number },
  noise: () => number,
): void {
  const buffer = new Float32Array(chunk.length)
  for (let i = 0; i < buffer.length; i++) buffer[i] = (noise() - 0.5) * 0.004 // line hiss
  const to = from + chunk.length
  while (
    cursor.index < segments.length &&
    segments[cursor.index]!.start + segments[cursor.index]!.length <= from
  )
    cursor.index++
  for (let k = cursor.index; k < segments.length; k++) {
    const seg = segments[k]!
    if (seg.start >= to) break
    const a = Math.max(seg.start, from)
    const b = Math.min(seg.start + seg.length, to)
    if (seg.type === 'tone') {
      for (let n = a; n < b; n++) {
        const t = (n - seg.start) / SR
        const fade = Math.min(1, (n - seg.start) / 80, (seg.start + seg.length - n) / 80)
        buffer[n - from]! += 0.3 * fade * Math.sin(2 * Math.PI * seg.freq * t)
      }
      continue
    }
    const table = periodTable(seg.f0, seg.vowel)
    for (let n = a; n < b; n++) {
      const i = n - seg.start
      const progress = i / seg.length
      // Phase of a pitch gliding linearly from f0 to f0·(1+glide): its integral over time.
      const cycles = (seg.f0 * (i + (seg.glide * i * progress) / 2)) / SR
      const envelope = Math.sin(Math.PI * progress) ** 2
      buffer[n - from]! += 0.35 * envelope * table[Math.floor((cycles % 1) * TABLE)]!
    }
  }
  for (let i = 0; i < chunk.length; i++) {
    chunk[i] = Math.round(Math.max(-1, Math.min(1, buffer[i]!)) * 32767)
  }
}

/** The call's audio as an MP3 file (see the module comment). */
export async function renderCallAudio(request: CallAudioRequest): Promise<Buffer> {
  const { kind, seconds, seed } = request
  if (kind !== 'recording' && kind !== 'voicemail') throw new RangeError(`unknown call audio kind: ${kind}`)
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_CALL_AUDIO_SEC)
    throw new RangeError(`call audio must last more than 0 and at most ${MAX_CALL_AUDIO_SEC} seconds`)
  if (!Number.isSafeInteger(seed)) throw new RangeError('the seed must be an integer')
  const total = Math.round(seconds * SR)
  const rand = prng(seed)
  const segments = timeline(kind, total, rand)
  const noise = prng(seed ^ 0x5eed)
  const encoder = new Mp3Encoder(1, SR, CALL_AUDIO_KBPS)
  const parts: Uint8Array[] = []
  const cursor = { index: 0 }
  let sinceYield = 0
  for (let from = 0; from < total; from += CHUNK) {
    const chunk = new Int16Array(Math.min(CHUNK, total - from))
    renderChunk(chunk, from, segments, cursor, noise)
    const encoded = encoder.encodeBuffer(chunk)
    if (encoded.length > 0) parts.push(new Uint8Array(encoded))
    sinceYield += chunk.length
    if (sinceYield >= YIELD_EVERY) {
      sinceYield = 0
      await new Promise((resolve) => setImmediate(resolve))
    }
  }
  const tail = encoder.flush()
  if (tail.length > 0) parts.push(new Uint8Array(tail))
  return Buffer.concat(parts)
}
