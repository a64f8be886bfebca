import { describe, expect, it } from 'vitest'
import { stripEmojis } from './strip-emojis.ts'

describe('stripEmojis', () => {
  it.each([
    ['Jane 🚀', 'Jane'],
    ['Jane 🚀 Doe', 'Jane Doe'],
    ['👩🏽‍💻 Dev', 'Dev'],
    ['Team 👨‍👩‍👧‍👦!', 'Team !'],
    ['France 🇫🇷', 'France'],
    ['England 🏴󠁧󠁢󠁥󠁮󠁧󠁿', 'England'],
    ['Call 1️⃣ now', 'Call now'],
    ['Love ❤️', 'Love'],
    ['☎️ Office', 'Office'],
  ])('removes emoji from %j', (input, expected) => {
    expect(stripEmojis(input, { singleLine: true })).toBe(expected)
  })

  it('keeps ordinary text, accents, digits and text-style symbols', () => {
    for (const text of [
      'Acme™ ©2026',
      'Zoë Ñúñez',
      '李小龍',
      'Ahmad نور',
      '+33 1 76 11 11 11',
      'Room #42 *urgent*',
    ]) {
      expect(stripEmojis(text, { singleLine: true })).toBe(text)
    }
  })

  it('keeps line breaks of multi-line text', () => {
    expect(stripEmojis('Line 1 🎉\n\nLine  2', { singleLine: false })).toBe('Line 1 \n\nLine  2')
  })
})
