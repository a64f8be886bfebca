import { boolean, index, integer, pgTable, serial, text, uniqueIndex } from 'drizzle-orm/pg-core'
import { companyScoped, timestamps } from './columns.ts'
import { companyRef } from './companies.ts'

export const contacts = pgTable(
  'contacts',
  {
    id: serial('id').primaryKey(),
    companyId: companyRef(),
    firstName: text('first_name'),
    lastName: text('last_name'),
    companyName: text('company_name'),
    description: text('description'),
    information: text('information'),
    isShared: boolean('is_shared').notNull().default(true),
    ...timestamps,
  },
  (t) => [index('contacts_company_idx').on(t.companyId, t.createdAt)],
)

export const contactPhoneNumbers = pgTable(
  'contact_phone_numbers',
  {
    id: serial('id').primaryKey(),
    ...companyScoped,
    contactId: integer('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    label: text('label').notNull(),
    /** As given by the client. */
    value: text('value').notNull(),
    /** E.164 when the value parses, used for search by phone. */
    e164: text('e164'),
    /** The value's digits and '+' only ("+33 1 76-11" → "+33176111"): search by phone as typed. */
    digits: text('digits').notNull(),
  },
  (t) => [
    index('contact_phones_lookup_idx').on(t.companyId, t.e164),
    index('contact_phones_digits_idx').on(t.companyId, t.digits),
    index('contact_phones_contact_idx').on(t.contactId),
  ],
)

export const contactEmails = pgTable(
  'contact_emails',
  {
    id: serial('id').primaryKey(),
    ...companyScoped,
    contactId: integer('contact_id')
      .notNull()
      .references(() => contacts.id, { onDelete: 'cascade' }),
    label: text('label').notNull(),
    value: text('value').notNull(),
  },
  (t) => [
    index('contact_emails_lookup_idx').on(t.companyId, t.value),
    index('contact_emails_contact_idx').on(t.contactId),
  ],
)

export const tags = pgTable(
  'tags',
  {
    id: serial('id').primaryKey(),
    companyId: companyRef(),
    name: text('name').notNull(),
    color: text('color').notNull(),
    description: text('description'),
    /** Conference, Callback Request, Called Back, Follow Up: present everywhere, read-only. */
    isSystem: boolean('is_system').notNull().default(false),
    ...timestamps,
  },
  (t) => [uniqueIndex('tags_company_name_unique').on(t.companyId, t.name)],
)

export const blacklistedNumbers = pgTable(
  'blacklisted_numbers',
  {
    id: serial('id').primaryKey(),
    companyId: companyRef(),
    e164: text('e164').notNull(),
    rawDigits: text('raw_digits').notNull(),
    note: text('note'),
    ...timestamps,
  },
  (t) => [uniqueIndex('blacklist_company_e164_unique').on(t.companyId, t.e164)],
)
