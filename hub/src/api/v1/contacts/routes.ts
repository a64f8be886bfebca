import { createRoute, z } from '@hono/zod-openapi'
import {
  addContactEmail,
  addContactPhone,
  createContact,
  deleteContact,
  deleteContactEmail,
  deleteContactPhone,
  getContact,
  listContacts,
  MAX_CONTACT_DETAILS,
  searchContacts,
  updateContact,
  updateContactEmail,
  updateContactPhone,
} from '../../../services/contacts/contact-service.ts'
import { createRouter } from '../../context.ts'
import { requireAdmin } from '../../middleware/auth.ts'
import {
  errorResponses,
  idParam,
  idParams,
  json,
  jsonBody,
  pageOf,
  plainText,
  security,
} from '../../openapi.ts'
import { buildMeta, paginationQuery } from '../../pagination.ts'
import { serviceContext } from '../../service-context.ts'

export const contactDetailSchema = z
  .object({ id: z.number().int(), label: z.string(), value: z.string() })
  .openapi('ContactDetail')

export const contactSchema = z
  .object({
    id: z.number().int(),
    direct_link: z.string(),
    first_name: z.string().nullable(),
    last_name: z.string().nullable(),
    company_name: z.string().nullable(),
    description: z.string().nullable(),
    information: z.string().nullable(),
    is_shared: z.boolean(),
    phone_numbers: z.array(contactDetailSchema),
    emails: z.array(contactDetailSchema),
    created_at: z.string().openapi({ description: 'UTC, YYYY-MM-DDTHH:mm:ssZ' }),
    updated_at: z.string().openapi({ description: 'UTC, YYYY-MM-DDTHH:mm:ssZ' }),
  })
  .openapi('Contact')

const contactEnvelope = z.object({ contact: contactSchema }).openapi('ContactEnvelope')
const contactList = pageOf('contacts', contactSchema).openapi('ContactList')

const label = plainText().trim().min(1).max(255)
const phoneInput = z.object({
  label,
  value: plainText().trim().min(1).max(64).openapi({ description: 'As dialled; must contain digits' }),
})
const emailInput = z.object({ label, value: z.email().max(254) })
const text = (max: number) => plainText().max(max).nullable().optional()
const fields = {
  first_name: text(255),
  last_name: text(255),
  company_name: text(255),
  information: text(10_000),
  description: text(10_000),
}
const createBody = z.object({
  ...fields,
  phone_numbers: z.array(phoneInput).min(1).max(MAX_CONTACT_DETAILS),
  emails: z.array(emailInput).max(MAX_CONTACT_DETAILS).optional(),
})
const atLeastOne = (b: { label?: string; value?: string }) => b.label !== undefined || b.value !== undefined
const phonePatch = phoneInput
  .partial()
  .refine(atLeastOne, { message: 'give label and/or value', path: ['value'] })
const emailPatch = emailInput
  .partial()
  .refine(atLeastOne, { message: 'give label and/or value', path: ['value'] })

const listQuery = paginationQuery.extend({
  order_by: z.enum(['created_at', 'updated_at']).default('created_at'),
})
const searchQuery = listQuery.extend({
  phone_number: plainText()
    .trim()
    .min(1)
    .max(64)
    .optional()
    .openapi({ description: 'Any format; matched in E.164' }),
  email: plainText()
    .trim()
    .min(1)
    .max(254)
    .optional()
    .openapi({ description: 'Case-insensitive exact match' }),
})

const phoneParams = z.object({ id: idParam(), phone_number_id: idParam() })
const emailParams = z.object({ id: idParam(), email_id: idParam() })
const tags = ['Contacts']

/**
 * Agents read contacts (the extension looks callers up) and may create and edit them, as
 * Aircall's company-wide key can; deleting a contact is for admins and API keys.
 */
export const contactsRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/contacts',
      tags,
      security,
      request: { query: listQuery },
      responses: { 200: json(contactList, 'Shared contacts of the company'), ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid('query')
      const { contacts, total } = await listContacts(serviceContext(c), q)
      return c.json({ contacts, meta: buildMeta(c, q, contacts.length, total) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/contacts/search',
      tags,
      security,
      request: { query: searchQuery },
      responses: { 200: json(contactList, 'Contacts matching phone_number and/or email'), ...errorResponses },
    }),
    async (c) => {
      const q = c.req.valid('query')
      const { contacts, total } = await searchContacts(serviceContext(c), q)
      return c.json({ contacts, meta: buildMeta(c, q, contacts.length, total) }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/contacts/{id}',
      tags,
      security,
      request: { params: idParams },
      responses: { 200: json(contactEnvelope, 'The contact'), ...errorResponses },
    }),
    async (c) => {
      const contact = await getContact(serviceContext(c), c.req.valid('param').id)
      return c.json({ contact }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/contacts',
      tags,
      security,
      request: { body: jsonBody(createBody) },
      responses: { 201: json(contactEnvelope, 'The created contact'), ...errorResponses },
    }),
    async (c) => {
      const contact = await createContact(serviceContext(c), c.req.valid('json'))
      return c.json({ contact }, 201)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/contacts/{id}',
      tags,
      security,
      summary: 'Update a contact (POST, as Aircall): scalar fields only',
      request: { params: idParams, body: jsonBody(z.object(fields)) },
      responses: { 200: json(contactEnvelope, 'The updated contact'), ...errorResponses },
    }),
    async (c) => {
      const contact = await updateContact(serviceContext(c), c.req.valid('param').id, c.req.valid('json'))
      return c.json({ contact }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/contacts/{id}',
      tags,
      security,
      middleware: [requireAdmin],
      request: { params: idParams },
      responses: { 204: { description: 'Deleted' }, ...errorResponses },
    }),
    async (c) => {
      await deleteContact(serviceContext(c), c.req.valid('param').id)
      return c.body(null, 204)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/contacts/{id}/phone_details',
      tags,
      security,
      request: { params: idParams, body: jsonBody(phoneInput) },
      responses: { 201: json(contactEnvelope, 'The contact with the added number'), ...errorResponses },
    }),
    async (c) => {
      const contact = await addContactPhone(serviceContext(c), c.req.valid('param').id, c.req.valid('json'))
      return c.json({ contact }, 201)
    },
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/contacts/{id}/phone_details/{phone_number_id}',
      tags,
      security,
      request: { params: phoneParams, body: jsonBody(phonePatch) },
      responses: { 200: json(contactEnvelope, 'The contact with the updated number'), ...errorResponses },
    }),
    async (c) => {
      const { id, phone_number_id } = c.req.valid('param')
      const contact = await updateContactPhone(serviceContext(c), id, phone_number_id, c.req.valid('json'))
      return c.json({ contact }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/contacts/{id}/phone_details/{phone_number_id}',
      tags,
      security,
      request: { params: phoneParams },
      responses: {
        200: json(contactEnvelope, 'The contact without the number'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { id, phone_number_id } = c.req.valid('param')
      const contact = await deleteContactPhone(serviceContext(c), id, phone_number_id)
      return c.json({ contact }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/contacts/{id}/email_details',
      tags,
      security,
      request: { params: idParams, body: jsonBody(emailInput) },
      responses: { 201: json(contactEnvelope, 'The contact with the added email'), ...errorResponses },
    }),
    async (c) => {
      const contact = await addContactEmail(serviceContext(c), c.req.valid('param').id, c.req.valid('json'))
      return c.json({ contact }, 201)
    },
  )
  .openapi(
    createRoute({
      method: 'put',
      path: '/contacts/{id}/email_details/{email_id}',
      tags,
      security,
      request: { params: emailParams, body: jsonBody(emailPatch) },
      responses: { 200: json(contactEnvelope, 'The contact with the updated email'), ...errorResponses },
    }),
    async (c) => {
      const { id, email_id } = c.req.valid('param')
      const contact = await updateContactEmail(serviceContext(c), id, email_id, c.req.valid('json'))
      return c.json({ contact }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/contacts/{id}/email_details/{email_id}',
      tags,
      security,
      request: { params: emailParams },
      responses: { 200: json(contactEnvelope, 'The contact without the email'), ...errorResponses },
    }),
    async (c) => {
      const { id, email_id } = c.req.valid('param')
      const contact = await deleteContactEmail(serviceContext(c), id, email_id)
      return c.json({ contact }, 200)
    },
  )
