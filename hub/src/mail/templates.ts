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
