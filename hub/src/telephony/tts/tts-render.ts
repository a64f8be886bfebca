import { spawn, spawnSync } from 'node:child_process'
import type { TtsLanguage, TtsVoice } from './voices.ts'

/**
 * Renders a text-to-speech message to audio an admin can listen to (WAV, 16-bit mono PCM).
 *
 * Two engines, chosen by TTS_ENGINE:
 * - `espeak-ng`: the eSpeak NG synthesizer (Debian package `espeak-ng`), run as a separate
 *   process for each rendering: real, intelligible speech in every listed language. It is a
 *   system program, not an npm dependency, so the hub still installs and runs with Node and npm
 *   alone; being a separate process also keeps its GPL licence apart from the hub.
 * - `builtin`: no external program. A synthesized murmur with the message's rhythm: one voiced
 *   sound per syllable, pauses at word boundaries and punctuation, a female or male pitch. It
 *   tells an admin how long the message runs and how it is paced, not its words.
 * `auto` (the default) uses espeak-ng when the command runs, else builtin; a failed espeak-ng
 * rendering falls back to builtin too, so listening never breaks.
 */

export type SpeechEngineName = 'espeak-ng' | 'builtin'
export type SpeechEngine = {
  readonly name: SpeechEngineName
  render(text: string, language: TtsLanguage, voice: TtsVoice): Promise<Uint8Array>
}

export type SpeechEngineOptions = {
  engine: 'auto' | SpeechEngineName
  /** The eSpeak NG command (TTS_ESPEAK_COMMAND). */
  espeakCommand: string
  /** Told when espeak-ng failed and the builtin rendering was used instead. */
  onFallback?: (err: unknown) => void
}

const SAMPLE_RATE = 16_000
/** Longest rendering accepted from espeak-ng (a 1,000-character message is well under a minute). */
const MAX_ESPEAK_BYTES = 16 * 1024 * 1024
const ESPEAK_TIMEOUT_MS = 15_000

const available = new Map<string, boolean>()
function commandRuns(command: string): boolean {
  let runs = available.get(command)
  if (runs === undefined) {
    runs = spawnSync(command, ['--version'], { stdio: 'ignore', timeout: 5000 }).status === 0
    available.set(command, runs)
  }
  return runs
}

export function createSpeechEngine(options: SpeechEngineOptions): SpeechEngine {
  const builtin: SpeechEngine = {
    name: 'builtin',
    render: async (text, _l, voice) => renderBuiltin(text, voice),
  }
  const useEspeak =
    options.engine === 'espeak-ng' || (options.engine === 'auto' && commandRuns(options.espeakCommand))
  if (!useEspeak) return builtin
  return {
    name: 'espeak-ng',
    async render(text, language, voice) {
      try {
        return await renderEspeak(options.espeakCommand, text, language, voice)
      } catch (err) {
        options.onFallback?.(err)
        return builtin.render(text, language, voice)
      }
    },
  }
}

/** eSpeak NG's voice variant of each gender (`fr+f3`). */
const VARIANT = { female: 'f3', male: 'm3' } as const

function renderEspeak(
  command: string,
  text: string,
  language: TtsLanguage,
  voice: TtsVoice,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      command,
      ['--stdout', '-v', `${language.espeak}+${VARIANT[voice.gender]}`, '-s', '150', '--stdin'],
      {
        stdio: ['pipe', 'pipe', 'ignore'],
        timeout: ESPEAK_TIMEOUT_MS,
      },
    )
    const chunks: Buffer[] = []
    let size = 0
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > MAX_ESPEAK_BYTES) child.kill('SIGKILL')
      else chunks.push(chunk)
    })
    child.on('error', reject)
    child.on('close', (code, signal) => {
      const bytes = new Uint8Array(Buffer.concat(chunks))
      if (code !== 0 || signal) reject(new Error(`espeak-ng ended with ${signal ?? `exit code ${code}`}`))
      else if (!isWav(bytes)) reject(new Error('espeak-ng did not write a WAV file'))
      else resolve(bytes)
    })
    child.stdin.on('error', () => {}) // a child that died early: 'close' reports it
    child.stdin.end(text)
  })
}

export function isWav(bytes: Uint8Array): boolean {
  const tag = (at: number) => String.fromCharCode(...bytes.subarray(at, at + 4))
  return bytes.length >= 44 && tag(0) === 'RIFF' && tag(8) === 'WAVE'
}

/** A 16-bit mono PCM WAV file of `samples` (−1…1). */
export function wavFile(samples: Float32Array, sampleRate = SAMPLE_RATE): Uint8Array {
  const data = samples.length * 2
  const out = Buffer.alloc(44 + data)
  out.write('RIFF', 0, 'latin1')
  out.writeUInt32LE(36 + data, 4)
  out.write('WAVE', 8, 'latin1')
  out.write('fmt ', 12, 'latin1')
  out.writeUInt32LE(16, 16)
  out.writeUInt16LE(1, 20) // PCM
  out.writeUInt16LE(1, 22) // mono
  out.writeUInt32LE(sampleRate, 24)
  out.writeUInt32LE(sampleRate * 2, 28)
  out.writeUInt16LE(2, 32)
  out.writeUInt16LE(16, 34)
  out.write('data', 36, 'latin1')
  out.writeUInt32LE(data, 40)
  for (let i = 0; i < samples.length; i++) {
    out.writeInt16LE(Math.round(Math.max(-1, Math.min(1, samples[i]!)) * 32767), 44 + i * 2)
  }
  return new Uint8Array(out)
}

/** Rough formants (Hz) of the vowel a syllable is built on. */
const FORMANTS: Record<string, [number, number]> = {
  a: [800, 1200],
  e: [500, 1800],
  i: [300, 2300],
  o: [500, 900],
  u: [350, 800],
  y: [300, 1900],
}
const SYLLABLE_SEC = 0.16
const WORD_GAP_SEC = 0.07
const COMMA_PAUSE_SEC = 0.25
const SENTENCE_PAUSE_SEC = 0.45

/** Words of the text, each with its vowels (one syllable each) and the pause after it. */
function rhythmOf(text: string): { vowels: string[]; pauseSec: number }[] {
  const words = text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .match(/[\p{L}\p{N}']+[^\p{L}\p{N}']*/gu)
  return (words ?? []).map((word) => {
    const groups = word.match(/[aeiouy]+/g) ?? ['e']
    const tail = word.replace(/[\p{L}\p{N}']+/u, '')
    const pauseSec = /[.!?]/.test(tail)
      ? SENTENCE_PAUSE_SEC
      : /[,;:]/.test(tail)
        ? COMMA_PAUSE_SEC
        : WORD_GAP_SEC
    return { vowels: groups.map((g) => g[0]!), pauseSec }
  })
}

/** The builtin rendering: voiced syllables with the text's rhythm (see the module comment). */
export function renderBuiltin(text: string, voice: Pick<TtsVoice, 'gender'>): Uint8Array {
  const rhythm = rhythmOf(text)
  const syllables = rhythm.reduce((n, w) => n + w.vowels.length, 0)
  const totalSec = rhythm.reduce((t, w) => t + w.vowels.length * SYLLABLE_SEC + w.pauseSec, 0.2)
  const samples = new Float32Array(Math.ceil(totalSec * SAMPLE_RATE))
  const baseF0 = voice.gender === 'female' ? 210 : 115
  let at = Math.round(0.1 * SAMPLE_RATE)
  let index = 0
  for (const word of rhythm) {
    for (const vowel of word.vowels) {
      // Pitch falls gently along the message and rises a little on each word's first syllable.
      const f0 = baseF0 * (1.1 - (0.2 * index) / Math.max(1, syllables))
      const [f1, f2] = FORMANTS[vowel] ?? FORMANTS.e!
      const length = Math.round(SYLLABLE_SEC * SAMPLE_RATE)
      for (let i = 0; i < length && at + i < samples.length; i++) {
        const t = i / SAMPLE_RATE
        const envelope = Math.sin((Math.PI * i) / length) ** 2
        let value = 0
        for (let h = 1; h * f0 < 3500; h++) {
          const freq = h * f0
          // Harmonics near the vowel's formants are loudest: that is what makes it sound like a vowel.
          const weight = 1 / (1 + ((freq - f1) / 150) ** 2) + 0.6 / (1 + ((freq - f2) / 200) ** 2)
          value += weight * Math.sin(2 * Math.PI * freq * t)
        }
        samples[at + i] = 0.35 * envelope * value
      }
      at += length
      index++
    }
    at += Math.round(word.pauseSec * SAMPLE_RATE)
  }
  return wavFile(samples)
}
