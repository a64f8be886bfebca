import { normalizePhone } from '@switchboard/shared'
import { and, asc, count, eq, inArray, or, type SQL, sql } from 'drizzle-orm'
import { badRequest, notFound } from '../../core/errors.ts'
import { type PaginationQuery, pageWindow } from '../../core/pagination.ts'
import type { Queryable, Tx } from '../../db/client.ts'
import { orderBy, timeRange } from '../../db/list-query.ts'
import { contactEmails, contactPhoneNumbers, contacts } from '../../db/schema/index.ts'
import { recordEvent } from '../../events/outbox.ts'
import type { ServiceContext } from '../context.ts'
import { type ContactResource, toContactJson } from './contact-json.ts'
import { stripEmojis } from './strip-emojis.ts'

/** Aircall: at most 20 phone numbers and 20 emails per contact. */
export const MAX_CONTACT_DETAILS = 20

export type ContactDetailInput = { label: string; value: string }
export type ContactFieldsInput = {
  first_name?: string | null
  last_name?: string | null
  company_name?: string | null
  information?: string | null
  description?: string | null
}
export type ContactCreateInput = ContactFieldsInput & {
  phone_numbers: ContactDetailInput[]
  emails?: ContactDetailInput[]
}
export type ContactListQuery = PaginationQuery & { order_by: 'created_at' | 'updated_at' }
export type ContactSearchQuery = ContactListQuery & { phone_number?: string; email?: string }

type ContactRow = typeof contacts.$inferSelect

// ---- input cleaning (the rules Aircall applies to what it stores) --------------------------

const multiLine = new Set<keyof ContactFieldsInput>(['information', 'description'])
const fieldColumns = {
  first_name: 'firstName',
  last_name: 'lastName',
  company_name: 'companyName',
  information: 'information',
  description: 'description',
} as const satisfies Record<keyof ContactFieldsInput, keyof ContactRow>

/** Scalar fields with emojis stripped; a field left empty is stored as null. Absent stays absent. */
function cleanFields(input: ContactFieldsInput) {
  const values: Partial<Pick<ContactRow, (typeof fieldColumns)[keyof ContactFieldsInput]>> = {}
  for (const key of Object.keys(fieldColumns) as (keyof ContactFieldsInput)[]) {
    const raw = input[key]
    if (raw === undefined) continue
    const text = raw === null ? '' : stripEmojis(raw, { singleLine: !multiLine.has(key) })
    values[fieldColumns[key]] = text === '' ? null : text
  }
  return values
}

function cleanLabel(label: string, field: string): string {
  const text = stripEmojis(label, { singleLine: true })
  if (text === '') throw badRequest(field, 'must contain text (emojis are removed)')
  return text
}

/**
 * Aircall stores a phone number as given, valid or not; we do too, plus its E.164 form when it
 * parses so search by phone finds it whatever the formatting. A value without a single digit
 * cannot be a phone number at all.
 */
export function cleanPhone(input: ContactDetailInput, field: string) {
  const value = input.value.trim()
  if (!/\d/.test(value)) throw badRequest(`${field}value`, 'must contain digits')
  return {
    label: cleanLabel(input.label, `${field}label`),
    value,
    e164: normalizePhone(value)?.e164 ?? null,
    digits: phoneDigits(value),
  }
}

/** What search compares when a number does not parse: digits and '+', nothing else. */
const phoneDigits = (value: string) => value.replace(/[^\d+]/g, '')

function cleanEmail(input: ContactDetailInput, field: string) {
  return { label: cleanLabel(input.label, `${field}label`), value: input.value.trim() }
}

// ---- reads -----------------------------------------------------------------------------------

async function withDetails(db: Queryable, ctx: ServiceContext, rows: ContactRow[]) {
  if (rows.length === 0) return []
  const ids = rows.map((r) => r.id)
  const [phones, emails] = await Promise.all([
    db
      .select()
      .from(contactPhoneNumbers)
      .where(
        and(eq(contactPhoneNumbers.companyId, ctx.companyId), inArray(contactPhoneNumbers.contactId, ids)),
      )
      .orderBy(asc(contactPhoneNumbers.id)),
    db
      .select()
      .from(contactEmails)
      .where(and(eq(contactEmails.companyId, ctx.companyId), inArray(contactEmails.contactId, ids)))
      .orderBy(asc(contactEmails.id)),
  ])
  return rows.map((row) =>
    toContactJson(
      row,
      phones.filter((p) => p.contactId === row.id),
      emails.filter((e) => e.contactId === row.id),
      ctx.links,
    ),
  )
}

/** Only shared contacts exist for the API (Aircall hides personal and CRM-synced ones). */
const visible = (ctx: ServiceContext) =>
  and(eq(contacts.companyId, ctx.companyId), eq(contacts.isShared, true))

async function findContact(db: Queryable, ctx: ServiceContext, contactId: number): Promise<ContactRow> {
  const [row] = await db
    .select()
    .from(contacts)
    .where(and(visible(ctx), eq(contacts.id, contactId)))
    .limit(1)
  if (!row) throw notFound('Contact not found')
  return row
}

/** Same, locking the row so concurrent detail changes see each other's counts. */
async function lockContact(tx: Tx, ctx: ServiceContext, contactId: number): Promise<ContactRow> {
  const [row] = await tx
    .select()
    .from(contacts)
    .where(and(visible(ctx), eq(contacts.id, contactId)))
    .for('update')
  if (!row) throw notFound('Contact not found')
  return row
}

async function contactResource(db: Queryable, ctx: ServiceContext, row: ContactRow) {
  const [resource] = await withDetails(db, ctx, [row])
  return resource!
}

async function page(ctx: ServiceContext, q: ContactListQuery, filter?: SQL) {
  const { offset, limit } = pageWindow(q)
  // from/to apply to the column the list is ordered by: "updated since" is how clients sync.
  const column = q.order_by === 'updated_at' ? contacts.updatedAt : contacts.createdAt
  const where = and(visible(ctx), timeRange(column, q), filter)
  const [totalRow] = await ctx.db.select({ n: count() }).from(contacts).where(where)
  const rows = await ctx.db
    .select()
    .from(contacts)
    .where(where)
    .orderBy(...orderBy(column, q, contacts.id))
    .offset(offset)
    .limit(limit)
  return { contacts: await withDetails(ctx.db, ctx, rows), total: totalRow?.n ?? 0 }
}

export function listContacts(ctx: ServiceContext, q: ContactListQuery) {
  return page(ctx, q)
}

/**
 * The phones a searched number matches: on E.164 when it parses (so "+33 1 76 11 11 11" and
 * "+33176111111" find the same contact), else on the digits as stored. Both branches are
 * served by an index, (company_id, e164) and (company_id, digits): no scan of the company's
 * phones.
 */
export function phoneMatch(phoneNumber: string): SQL | undefined {
  const digits = phoneDigits(phoneNumber)
  if (!/\d/.test(digits)) throw badRequest('phone_number', 'must contain digits')
  const e164 = normalizePhone(phoneNumber)?.e164
  return e164
    ? or(eq(contactPhoneNumbers.e164, e164), inArray(contactPhoneNumbers.digits, [digits, e164]))
    : eq(contactPhoneNumbers.digits, digits)
}

/**
 * Search by phone number and/or email (both must match when both are given). Phone numbers
 * match on E.164, so "+33 1 76 11 11 11" and "+33176111111" find the same contact; numbers
 * that do not parse match on their digits as stored.
 */
export function searchContacts(ctx: ServiceContext, q: ContactSearchQuery) {
  const filters: SQL[] = []
  if (q.phone_number !== undefined) {
    const match = phoneMatch(q.phone_number)
    filters.push(
      inArray(
        contacts.id,
        ctx.db
          .select({ id: contactPhoneNumbers.contactId })
          .from(contactPhoneNumbers)
          .where(and(eq(contactPhoneNumbers.companyId, ctx.companyId), match)),
      ),
    )
  }
  if (q.email !== undefined) {
    filters.push(
      inArray(
        contacts.id,
        ctx.db
          .select({ id: contactEmails.contactId })
          .from(contactEmails)
          .where(
            and(
              eq(contactEmails.companyId, ctx.companyId),
              sql`lower(${contactEmails.value}) = lower(${q.email})`,
            ),
          ),
      ),
    )
  }
  if (filters.length === 0) throw badRequest('phone_number', 'give phone_number and/or email to search')
  return page(ctx, q, and(...filters))
}

export async function getContact(ctx: ServiceContext, contactId: number) {
  return contactResource(ctx.db, ctx, await findContact(ctx.db, ctx, contactId))
}

// ---- writes ----------------------------------------------------------------------------------

/** Creates a contact; the same payload twice makes two contacts, as on Aircall. */
export async function createContact(
  ctx: ServiceContext,
  input: ContactCreateInput,
): Promise<ContactResource> {
  const fields = cleanFields(input)
  const phones = input.phone_numbers.map((p, i) => cleanPhone(p, `phone_numbers.${i}.`))
  const emails = (input.emails ?? []).map((e, i) => cleanEmail(e, `emails.${i}.`))
  if (phones.length === 0) throw badRequest('phone_numbers', 'at least one phone number is required')
  if (phones.length > MAX_CONTACT_DETAILS) throw badRequest('phone_numbers', `at most ${MAX_CONTACT_DETAILS}`)
  if (emails.length > MAX_CONTACT_DETAILS) throw badRequest('emails', `at most ${MAX_CONTACT_DETAILS}`)
  return ctx.db.transaction(async (tx) => {
    const now = ctx.clock.now()
    const [row] = await tx
      .insert(contacts)
      .values({ ...fields, companyId: ctx.companyId, isShared: true, createdAt: now, updatedAt: now })
      .returning()
    const contactId = row!.id
    await tx
      .insert(contactPhoneNumbers)
      .values(phones.map((p) => ({ ...p, companyId: ctx.companyId, contactId })))
    if (emails.length > 0) {
      await tx
        .insert(contactEmails)
        .values(emails.map((e) => ({ ...e, companyId: ctx.companyId, contactId })))
    }
    const resource = await contactResource(tx, ctx, row!)
    await recordEvent(tx, ctx.clock, ctx.companyId, 'contact.created', resource)
    return resource
  })
}

/**
 * Runs a change on a locked contact, then bumps updated_at and records contact.updated with
 * the contact as it now is. `change` returning false means nothing changed: no bump, no event.
 */
async function changeContact(
  ctx: ServiceContext,
  contactId: number,
  change: (tx: Tx, row: ContactRow) => Promise<boolean>,
): Promise<ContactResource> {
  return ctx.db.transaction(async (tx) => {
    const row = await lockContact(tx, ctx, contactId)
    if (!(await change(tx, row))) return contactResource(tx, ctx, row)
    const [updated] = await tx
      .update(contacts)
      .set({ updatedAt: ctx.clock.now() })
      .where(and(eq(contacts.companyId, ctx.companyId), eq(contacts.id, contactId)))
      .returning()
    const resource = await contactResource(tx, ctx, updated!)
    await recordEvent(tx, ctx.clock, ctx.companyId, 'contact.updated', resource)
    return resource
  })
}

/** Update (POST /contacts/:id): scalar fields only; phone numbers and emails have their own routes. */
export function updateContact(ctx: ServiceContext, contactId: number, input: ContactFieldsInput) {
  const fields = cleanFields(input)
  return changeContact(ctx, contactId, async (tx) => {
    if (Object.keys(fields).length === 0) return false
    await tx
      .update(contacts)
      .set(fields)
      .where(and(eq(contacts.companyId, ctx.companyId), eq(contacts.id, contactId)))
    return true
  })
}

export async function deleteContact(ctx: ServiceContext, contactId: number): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const resource = await contactResource(tx, ctx, await lockContact(tx, ctx, contactId))
    await tx.delete(contacts).where(and(eq(contacts.companyId, ctx.companyId), eq(contacts.id, contactId)))
    await recordEvent(tx, ctx.clock, ctx.companyId, 'contact.deleted', resource)
  })
}

// ---- phone numbers and emails (POST / PUT / DELETE .../phone_details, .../email_details) -----

const phoneOf = (ctx: ServiceContext, contactId: number, phoneId: number) =>
  and(
    eq(contactPhoneNumbers.companyId, ctx.companyId),
    eq(contactPhoneNumbers.contactId, contactId),
    eq(contactPhoneNumbers.id, phoneId),
  )
const emailOf = (ctx: ServiceContext, contactId: number, emailId: number) =>
  and(
    eq(contactEmails.companyId, ctx.companyId),
    eq(contactEmails.contactId, contactId),
    eq(contactEmails.id, emailId),
  )

async function countPhones(tx: Tx, ctx: ServiceContext, contactId: number) {
  const [row] = await tx
    .select({ n: count() })
    .from(contactPhoneNumbers)
    .where(
      and(eq(contactPhoneNumbers.companyId, ctx.companyId), eq(contactPhoneNumbers.contactId, contactId)),
    )
  return row?.n ?? 0
}

export function addContactPhone(ctx: ServiceContext, contactId: number, input: ContactDetailInput) {
  const phone = cleanPhone(input, '')
  return changeContact(ctx, contactId, async (tx) => {
    if ((await countPhones(tx, ctx, contactId)) >= MAX_CONTACT_DETAILS) {
      throw badRequest('phone_numbers', `a contact has at most ${MAX_CONTACT_DETAILS} phone numbers`)
    }
    await tx.insert(contactPhoneNumbers).values({ ...phone, companyId: ctx.companyId, contactId })
    return true
  })
}

export function updateContactPhone(
  ctx: ServiceContext,
  contactId: number,
  phoneId: number,
  input: Partial<ContactDetailInput>,
) {
  return changeContact(ctx, contactId, async (tx) => {
    const [current] = await tx
      .select()
      .from(contactPhoneNumbers)
      .where(phoneOf(ctx, contactId, phoneId))
    if (!current) throw notFound('Phone number not found')
    const phone = cleanPhone({ label: input.label ?? current.label, value: input.value ?? current.value }, '')
    await tx
      .update(contactPhoneNumbers)
      .set(phone)
      .where(phoneOf(ctx, contactId, phoneId))
    return true
  })
}

/** phone_numbers are required on a contact: its last one cannot be deleted. */
export function deleteContactPhone(ctx: ServiceContext, contactId: number, phoneId: number) {
  return changeContact(ctx, contactId, async (tx) => {
    const [current] = await tx
      .select({ id: contactPhoneNumbers.id })
      .from(contactPhoneNumbers)
      .where(phoneOf(ctx, contactId, phoneId))
    if (!current) throw notFound('Phone number not found')
    if ((await countPhones(tx, ctx, contactId)) <= 1) {
      throw badRequest('phone_numbers', 'a contact needs at least one phone number; add another one first')
    }
    await tx.delete(contactPhoneNumbers).where(phoneOf(ctx, contactId, phoneId))
    return true
  })
}

export function addContactEmail(ctx: ServiceContext, contactId: number, input: ContactDetailInput) {
  const email = cleanEmail(input, '')
  return changeContact(ctx, contactId, async (tx) => {
    const [row] = await tx
      .select({ n: count() })
      .from(contactEmails)
      .where(and(eq(contactEmails.companyId, ctx.companyId), eq(contactEmails.contactId, contactId)))
    if ((row?.n ?? 0) >= MAX_CONTACT_DETAILS) {
      throw badRequest('emails', `a contact has at most ${MAX_CONTACT_DETAILS} emails`)
    }
    await tx.insert(contactEmails).values({ ...email, companyId: ctx.companyId, contactId })
    return true
  })
}

export function updateContactEmail(
  ctx: ServiceContext,
  contactId: number,
  emailId: number,
  input: Partial<ContactDetailInput>,
) {
  return changeContact(ctx, contactId, async (tx) => {
    const [current] = await tx
      .select()
      .from(contactEmails)
      .where(emailOf(ctx, contactId, emailId))
    if (!current) throw notFound('Email not found')
    const email = cleanEmail({ label: input.label ?? current.label, value: input.value ?? current.value }, '')
    await tx
      .update(contactEmails)
      .set(email)
      .where(emailOf(ctx, contactId, emailId))
    return true
  })
}

export function deleteContactEmail(ctx: ServiceContext, contactId: number, emailId: number) {
  return changeContact(ctx, contactId, async (tx) => {
    const deleted = await tx
      .delete(contactEmails)
      .where(emailOf(ctx, contactId, emailId))
      .returning({ id: contactEmails.id })
    if (deleted.length === 0) throw notFound('Email not found')
    return true
  })
}

/**
 * The shared contact of each phone number (E.164 or digits, as calls store the other party),
 * for the Calls API's `fetch_contact`: the oldest contact having a phone that matches. Served by
 * the (company_id, e164) and (company_id, digits) indexes, one query for a whole page of calls.
 */
export async function contactsByPhone(
  ctx: ServiceContext,
  phones: readonly string[],
): Promise<Map<string, ContactResource>> {
  const wanted = [...new Set(phones.filter((p) => /\d/.test(p)))]
  const found = new Map<string, ContactResource>()
  if (wanted.length === 0) return found
  const matches = await ctx.db
    .select({ e164: contactPhoneNumbers.e164, digits: contactPhoneNumbers.digits, contact: contacts })
    .from(contactPhoneNumbers)
    .innerJoin(contacts, eq(contacts.id, contactPhoneNumbers.contactId))
    .where(
      and(
        eq(contactPhoneNumbers.companyId, ctx.companyId),
        visible(ctx),
        or(inArray(contactPhoneNumbers.e164, wanted), inArray(contactPhoneNumbers.digits, wanted)),
      ),
    )
    .orderBy(asc(contacts.id))
  const owner = new Map<string, ContactRow>()
  for (const m of matches) {
    for (const phone of [m.e164, m.digits]) {
      if (phone !== null && wanted.includes(phone) && !owner.has(phone)) owner.set(phone, m.contact)
    }
  }
  const rows = [...new Map([...owner.values()].map((c) => [c.id, c])).values()]
  const resources = new Map((await withDetails(ctx.db, ctx, rows)).map((r) => [r.id, r]))
  for (const [phone, contact] of owner) found.set(phone, resources.get(contact.id)!)
  return found
}
