import type { Mailer, MailMessage } from '../../src/mail/mailer.ts'

/** Captures mail so tests can read invitation and reset links as a user would. */
export class MemoryMailer implements Mailer {
  readonly sent: MailMessage[] = []
  async send(message: MailMessage): Promise<void> {
    this.sent.push(message)
  }
  lastTo(to: string): MailMessage | undefined {
    return [...this.sent].reverse().find((m) => m.to === to)
  }
}
