import { createRoute, z } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { badRequest, DomainError } from '../../../core/errors.ts'
import { MAX_DOCUMENT_BYTES } from '../../../services/number-verification/document-content.ts'
import {
  documentFields,
  type SubmissionForm,
  type UploadedFile,
} from '../../../services/number-verification/submission-input.ts'
import {
  getNumberVerification,
  getVerificationDocument,
  submitNumberVerification,
} from '../../../services/number-verification/verification-service.ts'
import { type AppEnv, createRouter } from '../../context.ts'
import { requireAdmin } from '../../middleware/auth.ts'
import { errorResponse, errorResponses, idParam, idParams, json, security } from '../../openapi.ts'
import { serviceContext } from '../../service-context.ts'

const tags = ['Number verification']

const addressSchema = z
  .object({
    line1: z.string(),
    line2: z.string().optional(),
    city: z.string(),
    postal_code: z.string(),
    country: z.string().openapi({ description: 'ISO 3166 alpha-2, the number’s country' }),
  })
  .openapi('VerificationAddress')

const detailsSchema = z
  .union([
    z.object({ name: z.string(), registration_number: z.string(), address: addressSchema }),
    z.object({
      first_name: z.string(),
      last_name: z.string(),
      birth_date: z.string().optional(),
      address: addressSchema,
    }),
  ])
  .openapi('VerificationDetails')

const documentSchema = z
  .object({
    id: z.number().int(),
    type: z.enum(['identity', 'address']),
    filename: z.string(),
    content_type: z
      .enum(['application/pdf', 'image/jpeg', 'image/png'])
      .openapi({ description: 'Detected from the file content, not from its name' }),
    size: z.number().int(),
    sha256: z.string(),
    download_link: z.string(),
  })
  .openapi('VerificationDocument')

const submissionSchema = z
  .object({
    id: z.number().int(),
    number_id: z.number().int(),
    kind: z.enum(['company', 'personal']),
    state: z.enum(['in_review', 'approved', 'rejected']),
    reason: z.string().nullable(),
    details: detailsSchema,
    documents: z.array(documentSchema),
    submitted_by: z.object({ type: z.enum(['user', 'api_key']), id: z.number().int() }),
    reviewed_at: z.string().nullable(),
    created_at: z.string().openapi({ description: 'ISO 8601' }),
  })
  .openapi('VerificationSubmission')

const verificationSchema = z
  .object({
    number_id: z.number().int(),
    state: z.enum(['not_required', 'pending_documents', 'in_review', 'active', 'rejected']),
    active: z.boolean().openapi({ description: 'Whether the number can receive and place calls' }),
    rejection_reason: z.string().nullable(),
    requirements: z.object({
      required: z.boolean(),
      documents: z.array(z.enum(['identity', 'address'])),
      address_must_be_in: z.enum(['area', 'country']).nullable().openapi({
        description:
          'The address must be in the number’s country (checked) or its area (the operator checks the area)',
      }),
      country: z.string(),
      country_name: z.string().nullable(),
      area: z.object({ code: z.string(), name: z.string() }).nullable(),
    }),
    submissions: z.array(submissionSchema).openapi({ description: 'Newest first' }),
  })
  .openapi('NumberVerification')

/** The multipart form, documented only: the handler reads it (see submission-input.ts for the rules). */
const text = { type: 'string' as const }
const file = (description: string) => ({
  type: 'string' as const,
  format: 'binary',
  description: `${description} PDF, JPEG or PNG (checked by content), at most 10 MB.`,
})
const submissionForm = {
  type: 'object' as const,
  required: ['kind', 'address.line1', 'address.city', 'address.postal_code', 'address.country'],
  properties: {
    kind: { type: 'string' as const, enum: ['company', 'personal'] },
    name: { ...text, description: 'kind=company: company name' },
    registration_number: { ...text, description: 'kind=company: registration number (SIREN, HRB …)' },
    first_name: { ...text, description: 'kind=personal' },
    last_name: { ...text, description: 'kind=personal' },
    birth_date: { ...text, format: 'date', description: 'kind=personal, optional' },
    'address.line1': text,
    'address.line2': text,
    'address.city': text,
    'address.postal_code': text,
    'address.country': { ...text, description: 'ISO 3166 alpha-2; must be the number’s country' },
    [documentFields.identity]: file('Identity document, when the country requires it.'),
    [documentFields.address]: file('Proof of address, when the country requires it.'),
  },
}
/** Both documents at their limit plus room for the text fields and multipart framing. */
const MAX_FORM_BYTES = 2 * MAX_DOCUMENT_BYTES + 1024 * 1024

/** Splits a multipart body into text fields and files; no body at all is an empty form. */
async function readSubmissionForm(c: Context<AppEnv>): Promise<SubmissionForm> {
  const form: SubmissionForm = { fields: {}, files: {} }
  const contentType = c.req.header('content-type')
  if (!contentType) return form
  if (!/^multipart\/form-data\s*;/i.test(contentType)) {
    throw badRequest('(body)', 'must be multipart/form-data (text fields and the document files)')
  }
  let data: FormData
  try {
    data = await c.req.formData()
  } catch {
    throw badRequest('(body)', 'is not a readable multipart/form-data body')
  }
  const fileFields = new Set<string>(Object.values(documentFields))
  for (const [name, value] of data.entries()) {
    if (Object.hasOwn(form.fields, name) || Object.hasOwn(form.files, name)) {
      throw badRequest(name, 'is sent more than once')
    }
    if (typeof value === 'string') {
      if (fileFields.has(name)) throw badRequest(name, 'must be a file upload')
      form.fields[name] = value
    } else {
      if (!fileFields.has(name) && Object.hasOwn(submissionForm.properties, name)) {
        throw badRequest(name, 'must be a text field, not a file')
      }
      const upload: UploadedFile = value
      form.files[name] = upload
    }
  }
  return form
}

const documentParams = z.object({ id: idParam(), doc_id: idParam() })

/** Content-Disposition for a name the uploader chose: ASCII fallback plus the exact UTF-8 name. */
function attachment(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`
}

export const numberVerificationRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/numbers/{id}/verification',
      summary: "A number's regulatory verification: state, requirements, submissions",
      tags,
      security,
      middleware: [requireAdmin] as const,
      request: { params: idParams },
      responses: {
        200: json(
          z.object({ verification: verificationSchema }).openapi('NumberVerificationEnvelope'),
          'The verification',
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const verification = await getNumberVerification(serviceContext(c), id)
      return c.json({ verification }, 200)
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/numbers/{id}/verification',
      summary: 'Submit company or personal information and documents for a number',
      description:
        'multipart/form-data. The number must be waiting for documents or rejected. Files are checked by content ' +
        '(PDF, JPEG or PNG), at most 10 MB each. The number moves to in_review until an operator decides.',
      tags,
      security,
      middleware: [
        requireAdmin,
        bodyLimit({
          maxSize: MAX_FORM_BYTES,
          onError: () => {
            throw new DomainError('payload_too_large', `The form must be at most ${MAX_FORM_BYTES} bytes`, {
              field: '(body)',
            })
          },
        }),
      ] as const,
      request: {
        params: idParams,
        body: { required: true, content: { 'multipart/form-data': { schema: submissionForm } } },
      },
      responses: {
        201: json(
          z.object({ submission: submissionSchema }).openapi('VerificationSubmissionEnvelope'),
          'Submitted',
        ),
        ...errorResponses,
        409: errorResponse(
          'The number does not take a submission now (not required, in review, or already active)',
        ),
        413: errorResponse('A document is over 10 MB (or the whole form is too large)'),
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param')
      const form = await readSubmissionForm(c)
      const submission = await submitNumberVerification(serviceContext(c), c.var.deps.blobs, id, form)
      return c.json({ submission }, 201)
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/numbers/{id}/verification/documents/{doc_id}',
      summary: 'Download an uploaded verification document',
      tags,
      security,
      middleware: [requireAdmin] as const,
      request: { params: documentParams },
      responses: {
        200: {
          description: 'The file as uploaded, with its detected content type',
          content: {
            'application/pdf': { schema: { type: 'string', format: 'binary' } },
            'image/jpeg': { schema: { type: 'string', format: 'binary' } },
            'image/png': { schema: { type: 'string', format: 'binary' } },
          },
        },
        ...errorResponses,
      },
    }),
    async (c) => {
      const { id, doc_id } = c.req.valid('param')
      const doc = await getVerificationDocument(serviceContext(c), c.var.deps.blobs, id, doc_id)
      // A copy on a plain ArrayBuffer: what Response bodies take (the store may hand out a view).
      return c.body(new Uint8Array(doc.bytes), 200, {
        'content-type': doc.contentType,
        'content-length': String(doc.size),
        'content-disposition': attachment(doc.filename),
        'x-content-type-options': 'nosniff',
        'cache-control': 'private, no-store',
      })
    },
  )
