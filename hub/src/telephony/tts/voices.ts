/**
 * Text-to-speech languages and the voices of each (the dashboard's "select a language" and voice
 * choice: "Français — Céline"). A message names a language of this list and one of its voices
 * by id; the generic "female" and "male" name the language's first voice of that gender (stored
 * documents and older clients use them). `espeak` is the eSpeak NG voice a rendering uses when
 * that engine is installed (tts-render.ts).
 */
export type TtsVoice = { id: string; name: string; gender: 'female' | 'male' }
export type TtsLanguage = { code: string; name: string; espeak: string; voices: readonly TtsVoice[] }

const f = (id: string, name: string): TtsVoice => ({ id, name, gender: 'female' })
const m = (id: string, name: string): TtsVoice => ({ id, name, gender: 'male' })

export const TTS_LANGUAGES: readonly TtsLanguage[] = [
  { code: 'de-CH', name: 'Deutsch (Schweiz)', espeak: 'de', voices: [f('lena', 'Lena')] },
  {
    code: 'de-DE',
    name: 'Deutsch (Deutschland)',
    espeak: 'de',
    voices: [f('marlene', 'Marlene'), m('hans', 'Hans')],
  },
  {
    code: 'en-AU',
    name: 'English (Australia)',
    espeak: 'en',
    voices: [f('olivia', 'Olivia'), m('russell', 'Russell')],
  },
  { code: 'en-CA', name: 'English (Canada)', espeak: 'en-us', voices: [f('emma', 'Emma')] },
  {
    code: 'en-GB',
    name: 'English (United Kingdom)',
    espeak: 'en-gb',
    voices: [f('amy', 'Amy'), m('brian', 'Brian')],
  },
  {
    code: 'en-US',
    name: 'English (United States)',
    espeak: 'en-us',
    voices: [f('joanna', 'Joanna'), m('matthew', 'Matthew')],
  },
  { code: 'en-ZA', name: 'English (South Africa)', espeak: 'en', voices: [f('ayanda', 'Ayanda')] },
  {
    code: 'es-ES',
    name: 'Español (España)',
    espeak: 'es',
    voices: [f('lucia', 'Lucía'), m('enrique', 'Enrique')],
  },
  { code: 'es-MX', name: 'Español (México)', espeak: 'es-419', voices: [f('mia', 'Mia')] },
  { code: 'fr-BE', name: 'Français (Belgique)', espeak: 'fr-be', voices: [f('isabelle', 'Isabelle')] },
  { code: 'fr-CA', name: 'Français (Canada)', espeak: 'fr', voices: [f('chantal', 'Chantal')] },
  {
    code: 'fr-FR',
    name: 'Français (France)',
    espeak: 'fr',
    voices: [f('celine', 'Céline'), m('mathieu', 'Mathieu')],
  },
  {
    code: 'it-IT',
    name: 'Italiano (Italia)',
    espeak: 'it',
    voices: [f('carla', 'Carla'), m('giorgio', 'Giorgio')],
  },
  { code: 'nl-BE', name: 'Nederlands (België)', espeak: 'nl', voices: [f('lisa', 'Lisa')] },
  {
    code: 'nl-NL',
    name: 'Nederlands (Nederland)',
    espeak: 'nl',
    voices: [f('lotte', 'Lotte'), m('ruben', 'Ruben')],
  },
  {
    code: 'pt-BR',
    name: 'Português (Brasil)',
    espeak: 'pt-br',
    voices: [f('vitoria', 'Vitória'), m('ricardo', 'Ricardo')],
  },
  {
    code: 'pt-PT',
    name: 'Português (Portugal)',
    espeak: 'pt',
    voices: [f('ines', 'Inês'), m('cristiano', 'Cristiano')],
  },
]

const byCode = new Map(TTS_LANGUAGES.map((l) => [l.code, l]))

export function findTtsLanguage(code: string): TtsLanguage | undefined {
  return byCode.get(code)
}

/** The voice `id` of the language: one of its ids, or "female" / "male" for its first of that gender. */
export function findTtsVoice(language: TtsLanguage, id: string): TtsVoice | undefined {
  if (id === 'female' || id === 'male') return language.voices.find((v) => v.gender === id)
  return language.voices.find((v) => v.id === id)
}

/** Why `voice` is not one of `language`'s, in words for a 400 (null when it is). */
export function voiceProblem(language: TtsLanguage, voice: string): string | null {
  if (findTtsVoice(language, voice)) return null
  const ids = language.voices.map((v) => v.id).join(', ')
  if (voice === 'female' || voice === 'male') return `${language.code} has no ${voice} voice; one of ${ids}`
  return `not a voice of ${language.code}; one of ${ids}`
}
