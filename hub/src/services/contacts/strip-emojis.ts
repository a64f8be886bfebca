/**
 * Emoji sequences as Unicode defines them: flags (regional-indicator pairs, tag sequences),
 * keycaps, and pictographs shown as emoji (by default, or forced by VS16) with their skin
 * tones and ZWJ joins. Text-style symbols such as © or ™ without VS16 are kept: they are
 * ordinary text in company names.
 */
const EMOJI_SEQUENCE =
  /\p{Regional_Indicator}{1,2}|[#*0-9]\uFE0F?\u20E3|\u{1F3F4}[\u{E0020}-\u{E007F}]+|(?:\p{Emoji_Presentation}|\p{Extended_Pictographic}\uFE0F)\p{Emoji_Modifier}?(?:\u200D(?:\p{Emoji_Presentation}|\p{Extended_Pictographic})\uFE0F?\p{Emoji_Modifier}?)*/gu
/** Leftovers of a broken sequence (a lone VS16, skin tone or tag character). */
const EMOJI_DEBRIS = /[\uFE0F\p{Emoji_Modifier}\u{E0020}-\u{E007F}]/gu

/** Aircall strips emojis from contact text; so do we. Multi-line text keeps its layout. */
export function stripEmojis(text: string, { singleLine }: { singleLine: boolean }): string {
  const stripped = text.replace(EMOJI_SEQUENCE, '').replace(EMOJI_DEBRIS, '')
  return (singleLine ? stripped.replace(/[ \t]{2,}/g, ' ') : stripped).trim()
}
