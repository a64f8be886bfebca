import type { CallActivity, CallKind } from '@switchboard/shared'

/**
 * Tag → value mapping with Aircall's rule: one mapped tag decides; several mapped tags that
 * disagree fall back to the default, as do calls without a mapped tag.
 */
export function resolveTagMapping(
  tags: readonly string[],
  mapping: Readonly<Record<string, string>>,
  fallback: string | null,
): string | null {
  const values = new Set<string>()
  for (const tag of tags) {
    const v = mapping[tag]
    if (v !== undefined) values.add(v)
  }
  if (values.size === 1) return [...values][0]!
  return fallback
}

/** Comments become the activity's notes, in the order they were posted; tags follow. */
export function notesText(call: Pick<CallActivity, 'comments' | 'tags'>): string {
  const parts = [...call.comments]
  if (call.tags.length > 0) parts.push(`Tags: ${call.tags.join(', ')}`)
  return parts.join('\n\n')
}

/** Who called whom, for titles: caller first on inbound calls. */
export function fromTo(call: Pick<CallActivity, 'direction' | 'external_number' | 'line'>) {
  return call.direction === 'inbound'
    ? { from: call.external_number, to: call.line.e164 }
    : { from: call.line.e164, to: call.external_number }
}

/** Aircall's subject templates, per call type ([Record] is the matched name or the number). */
export function activityTitle(kind: CallKind, call: CallActivity, recordName: string | null): string {
  const who = recordName ?? call.external_number
  const via = call.line.name ? `${call.line.name} (${call.line.e164})` : call.line.e164
  const agent = call.agent?.name || 'unknown user'
  switch (kind) {
    case 'outbound_answered':
      return `Outbound answered call to ${who} via ${via} made by ${agent}`
    case 'outbound_unanswered':
      return `Outbound unanswered call via ${via} made by ${agent} to ${who}`
    case 'inbound_answered':
      return `Inbound answered call from ${who} on ${via} answered by ${agent}`
    case 'inbound_missed':
      return `Missed call from ${who} on ${via}`
    case 'inbound_voicemail':
      return `Voicemail from ${who} on ${via}`
  }
}

/** Digits only, for comparing numbers stored in any format. */
export function digitsOf(s: string | null | undefined): string {
  return (s ?? '').replace(/\D/g, '')
}

/**
 * Whether a stored phone value is the number we look for: same digits once the country code or
 * a trunk 0 is allowed to differ, i.e. the stored digits end with the national number and carry
 * at most the country code (or trunk prefix) in front.
 */
export function phoneMatches(stored: string | null | undefined, e164: string, national: string): boolean {
  const d = digitsOf(stored)
  if (d.length === 0) return false
  if (d === digitsOf(e164)) return true
  if (!d.endsWith(national)) return false
  const prefix = d.slice(0, d.length - national.length)
  const cc = digitsOf(e164).slice(0, digitsOf(e164).length - national.length)
  return prefix === '' || prefix === '0' || prefix === cc || prefix === `00${cc}` || prefix === `011${cc}`
}
