import type { Links } from '../../core/links.ts'
import type { contactEmails, contactPhoneNumbers, contacts } from '../../db/schema/index.ts'

type ContactRow = typeof contacts.$inferSelect
type PhoneRow = typeof contactPhoneNumbers.$inferSelect
type EmailRow = typeof contactEmails.$inferSelect

export type ContactDetailResource = { id: number; label: string; value: string }

export type ContactResource = {
  id: number
  direct_link: string
  first_name: string | null
  last_name: string | null
  company_name: string | null
  description: string | null
  information: string | null
  is_shared: boolean
  phone_numbers: ContactDetailResource[]
  emails: ContactDetailResource[]
  created_at: string
  updated_at: string
}

/**
 * Aircall documents contact times only in webhooks, as UTC `YYYY-MM-DDTHH:mm:ssZ`; since the
 * event data is the API resource, the API uses the same format (no milliseconds).
 */
export const contactTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z')

export function toContactJson(
  contact: ContactRow,
  phones: PhoneRow[],
  emails: EmailRow[],
  links: Links,
): ContactResource {
  return {
    id: contact.id,
    direct_link: links.contact(contact.id),
    first_name: contact.firstName,
    last_name: contact.lastName,
    company_name: contact.companyName,
    description: contact.description,
    information: contact.information,
    is_shared: contact.isShared,
    phone_numbers: phones.map((p) => ({ id: p.id, label: p.label, value: p.value })),
    emails: emails.map((e) => ({ id: e.id, label: e.label, value: e.value })),
    created_at: contactTime(contact.createdAt),
    updated_at: contactTime(contact.updatedAt),
  }
}
