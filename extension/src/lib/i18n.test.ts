import { describe, expect, it } from 'vitest'
import { createTranslator, languageOf } from './i18n.ts'

describe('the extension speaks the browser language', () => {
  it('French for any fr-* browser, English otherwise', () => {
    expect(languageOf('fr-CA')).toBe('fr')
    expect(languageOf('de-DE')).toBe('en')
    expect(createTranslator('fr')('answer')).toBe('Répondre')
    expect(createTranslator('en')('signedInAs', { name: 'Ada' })).toBe('Signed in as Ada')
  })
})
