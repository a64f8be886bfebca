import type { MailMessage } from './mailer.ts'

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

type Lang = 'en' | 'fr'
const langOf = (language: string | null | undefined): Lang =>
  language?.toLowerCase().startsWith('fr') ? 'fr' : 'en'

function render(to: string, subject: string, paragraphs: string[], link: { label: string; url: string }) {
  const text = [...paragraphs, '', `${link.label}: ${link.url}`, ''].join('\n')
  const html = [
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    `<p><a href="${escapeHtml(link.url)}">${escapeHtml(link.label)}</a></p>`,
  ].join('\n')
  return { to, subject, text, html } satisfies MailMessage
}

export function invitationMail(input: {
  to: string
  language?: string | null
  companyName: string
  inviterName?: string | null
  link: string
  ttlHours: number
}): MailMessage {
  const who = input.inviterName?.trim()
  if (langOf(input.language) === 'fr') {
    return render(
      input.to,
      `Invitation à rejoindre ${input.companyName} sur Switchboard`,
      [
        `${who || 'Un administrateur'} vous invite à rejoindre ${input.companyName} sur Switchboard.`,
        `Choisissez votre mot de passe avec le lien ci-dessous. Il ne sert qu'une fois et expire dans ${input.ttlHours} h.`,
      ],
      { label: "Accepter l'invitation", url: input.link },
    )
  }
  return render(
    input.to,
    `You're invited to join ${input.companyName} on Switchboard`,
    [
      `${who || 'An administrator'} invited you to join ${input.companyName} on Switchboard.`,
      `Choose your password with the link below. It works once and expires in ${input.ttlHours} hours.`,
    ],
    { label: 'Accept the invitation', url: input.link },
  )
}

/**
 * The reset link of one account. One address may be a user of several companies: each account
 * gets its own mail, naming its company, so the reader knows which password the link sets.
 */
export function passwordResetMail(input: {
  to: string
  language?: string | null
  companyName?: string | null
  link: string
}): MailMessage {
  const company = input.companyName?.trim()
  if (langOf(input.language) === 'fr') {
    return render(
      input.to,
      company
        ? `Réinitialisation de votre mot de passe Switchboard (${company})`
        : 'Réinitialisation de votre mot de passe Switchboard',
      [
        company
          ? `Quelqu’un (vous, sans doute) a demandé à réinitialiser votre mot de passe Switchboard pour ${company}.`
          : 'Quelqu’un (vous, sans doute) a demandé à réinitialiser votre mot de passe Switchboard.',
        "Le lien ci-dessous ne sert qu'une fois et expire dans 1 h. Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.",
      ],
      { label: 'Choisir un nouveau mot de passe', url: input.link },
    )
  }
  return render(
    input.to,
    company ? `Reset your Switchboard password (${company})` : 'Reset your Switchboard password',
    [
      company
        ? `Someone (probably you) asked to reset your Switchboard password for ${company}.`
        : 'Someone (probably you) asked to reset your Switchboard password.',
      'The link below works once and expires in 1 hour. If you did not ask for it, ignore this message.',
    ],
    { label: 'Choose a new password', url: input.link },
  )
}

/** "2 min 05 s" / "45 s": a call or voicemail length for a reader. */
function durationText(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} s`
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`
}

/** A moment in the reader's language and time zone ("2 Mar 2026, 10:00" / "2 mars 2026, 10:00"). */
function whenText(at: Date, language: string | null | undefined, timeZone: string): string {
  const locale = langOf(language) === 'fr' ? 'fr-FR' : 'en-GB'
  try {
    return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short', timeZone }).format(at)
  } catch {
    return new Intl.DateTimeFormat(locale, {
      dateStyle: 'medium',
      timeStyle: 'short',
      timeZone: 'UTC',
    }).format(at)
  }
}

/** The details of a call both call mails give: who called, which number, when. */
type CallMailCall = {
  /** The caller's (or called person's) number as dialled. */
  caller: string
  numberName: string
  numberE164: string
  at: Date
  link: string
}

/** A new voicemail on a number the user is assigned to ("Messages vocaux par email"). */
export function voicemailMail(input: {
  to: string
  language?: string | null
  timeZone: string
  call: CallMailCall
  durationSec: number
}): MailMessage {
  const { call } = input
  const when = whenText(call.at, input.language, input.timeZone)
  const length = durationText(input.durationSec)
  if (langOf(input.language) === 'fr') {
    return render(
      input.to,
      `Nouveau message vocal de ${call.caller} sur ${call.numberName}`,
      [
        `${call.caller} a laissé un message vocal de ${length} sur ${call.numberName} (${call.numberE164}) le ${when}.`,
        "Écoutez-le et traitez l'appel dans Switchboard.",
      ],
      { label: "Voir l'appel", url: call.link },
    )
  }
  return render(
    input.to,
    `New voicemail from ${call.caller} on ${call.numberName}`,
    [
      `${call.caller} left a ${length} voicemail on ${call.numberName} (${call.numberE164}) on ${when}.`,
      'Listen to it and follow the call up in Switchboard.',
    ],
    { label: 'View the call', url: call.link },
  )
}

/** A call a teammate assigned to the user ("Email lors de chaque appel qui vous est assigné"). */
export function assignedCallMail(input: {
  to: string
  language?: string | null
  timeZone: string
  call: CallMailCall & { direction: 'inbound' | 'outbound' }
  /** Who assigned it; null for an API client. */
  byName: string | null
}): MailMessage {
  const { call } = input
  const when = whenText(call.at, input.language, input.timeZone)
  const by = input.byName?.trim()
  if (langOf(input.language) === 'fr') {
    const what =
      call.direction === 'inbound'
        ? `l'appel de ${call.caller} sur ${call.numberName} (${call.numberE164}) du ${when}`
        : `l'appel à ${call.caller} depuis ${call.numberName} (${call.numberE164}) du ${when}`
    return render(
      input.to,
      `Un appel vous a été assigné : ${call.caller}`,
      [`${by || 'Un administrateur'} vous a assigné ${what}.`],
      { label: "Voir l'appel", url: call.link },
    )
  }
  const what =
    call.direction === 'inbound'
      ? `the call from ${call.caller} on ${call.numberName} (${call.numberE164}) of ${when}`
      : `the call to ${call.caller} from ${call.numberName} (${call.numberE164}) of ${when}`
  return render(
    input.to,
    `A call was assigned to you: ${call.caller}`,
    [`${by || 'An administrator'} assigned you ${what}.`],
    { label: 'View the call', url: call.link },
  )
}

/**
 * A CRM integration stopped logging calls because the CRM refuses what it is sent (a missing
 * permission, a validation rule) or the connection's grant: sent to the company's admins once
 * per spell (the next successful sync ends the spell).
 */
export function crmUnhealthyMail(input: {
  to: string
  language?: string | null
  integrationName: string
  crmName: string
  error: string
  reconnect: boolean
  link: string
}): MailMessage {
  if (langOf(input.language) === 'fr') {
    return render(
      input.to,
      `L'intégration ${input.integrationName} (${input.crmName}) ne synchronise plus les appels`,
      [
        `${input.crmName} refuse les appels que Switchboard lui envoie : ${input.error}`,
        input.reconnect
          ? 'Reconnectez le compte dans les intégrations de Switchboard, puis relancez les appels en échec.'
          : 'Corrigez les droits ou les règles du CRM, puis relancez les appels en échec.',
      ],
      { label: "Voir l'intégration", url: input.link },
    )
  }
  return render(
    input.to,
    `The ${input.integrationName} integration (${input.crmName}) stopped logging calls`,
    [
      `${input.crmName} refuses the calls Switchboard sends it: ${input.error}`,
      input.reconnect
        ? "Reconnect the account in Switchboard's integrations, then replay the failed calls."
        : "Fix the CRM's permissions or rules, then replay the failed calls.",
    ],
    { label: 'View the integration', url: input.link },
  )
}

/** One call of the daily summary and why it is there. */
export type SummaryCall = CallMailCall & {
  kind: 'assigned' | 'callback' | 'voicemail' | 'missed'
  direction: 'inbound' | 'outbound'
  /** The voicemail's length (kind `voicemail`). */
  voicemailSec: number | null
}

/** The calls of one kind: how many there are, and those the mail lists. */
export type SummarySection = { kind: SummaryCall['kind']; total: number; calls: SummaryCall[] }

const SECTION_TITLES: Record<Lang, Record<SummaryCall['kind'], string>> = {
  en: {
    assigned: 'Assigned to you',
    callback: 'Callback requests',
    voicemail: 'Voicemails',
    missed: 'Missed calls',
  },
  fr: {
    assigned: 'Appels qui vous sont assignés',
    callback: 'Demandes de rappel',
    voicemail: 'Messages vocaux',
    missed: 'Appels manqués',
  },
}

function summaryLine(lang: Lang, call: SummaryCall, when: string): string {
  const line = `${call.numberName} (${call.numberE164})`
  if (lang === 'fr') {
    switch (call.kind) {
      case 'assigned':
        return call.direction === 'inbound'
          ? `De ${call.caller} sur ${line}, le ${when}`
          : `Vers ${call.caller} depuis ${line}, le ${when}`
      case 'callback':
        return `${call.caller} demande à être rappelé sur ${line}, le ${when}`
      case 'voicemail':
        return `${call.caller} a laissé un message vocal de ${durationText(call.voicemailSec ?? 0)} sur ${line}, le ${when}`
      case 'missed':
        return `${call.caller} sur ${line}, le ${when}`
    }
  }
  switch (call.kind) {
    case 'assigned':
      return call.direction === 'inbound'
        ? `From ${call.caller} on ${line}, ${when}`
        : `To ${call.caller} from ${line}, ${when}`
    case 'callback':
      return `${call.caller} asked to be called back on ${line}, ${when}`
    case 'voicemail':
      return `${call.caller} left a ${durationText(call.voicemailSec ?? 0)} voicemail on ${line}, ${when}`
    case 'missed':
      return `${call.caller} on ${line}, ${when}`
  }
}

/**
 * The morning list of the calls a user still has to handle ("Résumé quotidien des appels à
 * traiter"), by kind, each call with its link; `more` calls beyond those listed are counted,
 * and the list link leads to the rest.
 */
export function dailySummaryMail(input: {
  to: string
  language?: string | null
  timeZone: string
  firstName: string
  sections: readonly SummarySection[]
  more: number
  listLink: string
}): MailMessage {
  const lang = langOf(input.language)
  const total = input.sections.reduce((n, s) => n + s.total, 0)
  const name = input.firstName.trim()
  const fr = lang === 'fr'
  const subject = fr
    ? `Votre résumé quotidien : ${total} appel${total > 1 ? 's' : ''} à traiter`
    : `Your daily summary: ${total} call${total > 1 ? 's' : ''} to handle`
  const greeting = fr
    ? `Bonjour${name ? ` ${name}` : ''}, voici ${total > 1 ? `les ${total} appels` : "l'appel"} qu'il vous reste à traiter dans Switchboard.`
    : `Good morning${name ? ` ${name}` : ''}, here ${total > 1 ? `are the ${total} calls` : 'is the call'} you still have to handle in Switchboard.`
  const view = fr ? "Voir l'appel" : 'View the call'
  const more = input.more > 0 ? (fr ? `… et ${input.more} de plus.` : `…and ${input.more} more.`) : null
  const list = { label: fr ? 'Voir tous les appels' : 'See all the calls', url: input.listLink }
  const sections = input.sections
    .filter((s) => s.calls.length > 0)
    .map((s) => ({
      title: `${SECTION_TITLES[lang][s.kind]} (${s.total})`,
      lines: s.calls.map((c) => ({
        text: summaryLine(lang, c, whenText(c.at, input.language, input.timeZone)),
        link: c.link,
      })),
    }))
  const text = [
    greeting,
    '',
    ...sections.flatMap((s) => [s.title, ...s.lines.map((l) => `- ${l.text}: ${l.link}`), '']),
    ...(more ? [more, ''] : []),
    `${list.label}: ${list.url}`,
    '',
  ].join('\n')
  const html = [
    `<p>${escapeHtml(greeting)}</p>`,
    ...sections.flatMap((s) => [
      `<p><strong>${escapeHtml(s.title)}</strong></p>`,
      '<ul>',
      ...s.lines.map(
        (l) => `<li>${escapeHtml(l.text)} — <a href="${escapeHtml(l.link)}">${escapeHtml(view)}</a></li>`,
      ),
      '</ul>',
    ]),
    ...(more ? [`<p>${escapeHtml(more)}</p>`] : []),
    `<p><a href="${escapeHtml(list.url)}">${escapeHtml(list.label)}</a></p>`,
  ].join('\n')
  return { to: input.to, subject, text, html }
}
