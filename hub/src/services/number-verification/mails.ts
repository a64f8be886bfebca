import type { MailMessage } from '../../mail/mailer.ts'

const escapeHtml = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')

function message(to: string, subject: string, paragraphs: string[]): MailMessage {
  return {
    to,
    subject,
    text: `${paragraphs.join('\n\n')}\n`,
    html: paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n'),
  }
}

/**
 * The mail an admin gets when the operator decides on a number's documents: live (reason
 * null) or rejected with the reason. French for users whose language is French, else English.
 */
export function verificationDecisionMail(input: {
  to: string
  language: string | null
  companyName: string
  numberName: string
  e164: string
  reason: string | null
}): MailMessage {
  const fr = input.language?.toLowerCase().startsWith('fr') ?? false
  const label = `${input.numberName} (${input.e164})`
  if (input.reason === null) {
    return fr
      ? message(input.to, `Votre numéro ${input.e164} est actif`, [
          `Les informations et justificatifs soumis pour le numéro ${label} de ${input.companyName} ont été validés.`,
          'Le numéro est maintenant actif : il peut émettre et recevoir des appels.',
        ])
      : message(input.to, `Your number ${input.e164} is live`, [
          `The information and documents sent for ${input.companyName}'s number ${label} were approved.`,
          'The number is now active: it can receive and place calls.',
        ])
  }
  return fr
    ? message(input.to, `Votre numéro ${input.e164} : justificatifs refusés`, [
        `Les informations soumises pour le numéro ${label} de ${input.companyName} ont été refusées pour la raison suivante :`,
        input.reason,
        'Le numéro reste inactif. Envoyez des informations et justificatifs corrigés depuis la page de vérification du numéro.',
      ])
    : message(input.to, `Your number ${input.e164}: documents rejected`, [
        `The information sent for ${input.companyName}'s number ${label} was rejected for this reason:`,
        input.reason,
        "The number stays inactive. Send corrected information and documents from the number's verification page.",
      ])
}
