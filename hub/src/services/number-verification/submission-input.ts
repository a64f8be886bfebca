import { z } from 'zod'
import { badRequest, type DomainError } from '../../core/errors.ts'
import type { VerificationAddress, VerificationDetails } from '../../db/schema/index.ts'

/**
 * The verification form. It arrives as multipart/form-data with flat text fields, the
 * address as dotted names (`address.line1`, `address.city` …), because the same request
 * carries the files and flat fields are what an HTML form and `curl -F` send naturally:
 *
 *   kind=company   name, registration_number
 *   kind=personal  first_name, last_name, birth_date (optional, YYYY-MM-DD)
 *   both           address.line1, address.line2 (optional), address.city, address.postal_code,
 *                  address.country (ISO 3166 alpha-2)
 *   files          identity_document, address_document (which ones the country requires)
 *
 * Empty optional fields count as absent (an HTML form posts them empty). Text fields this
 * form does not know are ignored; file fields it does not know are refused, so a misnamed
 * upload is reported instead of silently dropped.
 */

const text = (max: number) =>
  z
    .string({ error: 'is required' })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
const optionalText = (max: number) =>
  z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), text(max).optional())

const addressSchema = z.object({
  line1: text(200),
  line2: optionalText(200),
  city: text(100),
  postal_code: text(20),
  country: z
    .string({ error: 'is required' })
    .trim()
    .regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166 country code like FR')
    .transform((c) => c.toUpperCase()),
})

const birthDate = z.preprocess(
  (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
  z
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date like 1990-04-25')
    .refine((s) => {
      const d = new Date(`${s}T00:00:00Z`)
      return !Number.isNaN(d.getTime()) && d.toISOString().startsWith(s)
    }, 'must be a real calendar date')
    .optional(),
)

export const companyDetailsSchema = z.object({
  name: text(200),
  registration_number: text(50),
  address: addressSchema,
})
export const personalDetailsSchema = z.object({
  first_name: text(100),
  last_name: text(100),
  birth_date: birthDate,
  address: addressSchema,
})

export type { VerificationAddress, VerificationDetails }
export type CompanyDetails = z.infer<typeof companyDetailsSchema>
export type PersonalDetails = z.infer<typeof personalDetailsSchema>

/** The form's output is exactly what the verifications table stores (db/schema/verification.ts). */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
const storedMatch: Same<CompanyDetails | PersonalDetails, VerificationDetails> = true
void storedMatch
export type VerificationKind = 'company' | 'personal'
export type DocumentType = 'identity' | 'address'

/** Form field name of each document. */
export const documentFields = { identity: 'identity_document', address: 'address_document' } as const

/** An uploaded file as the web platform hands it over (File); only what we read of it. */
export type UploadedFile = { name: string; size: number; arrayBuffer(): Promise<ArrayBuffer> }

/** The raw form, split by the route into text fields and files. */
export type SubmissionForm = {
  fields: Record<string, string>
  files: Record<string, UploadedFile>
}

export type ParsedSubmission =
  | { kind: 'company'; details: CompanyDetails }
  | { kind: 'personal'; details: PersonalDetails }

function firstIssue(error: z.ZodError): DomainError {
  const issue = error.issues[0]
  const field = issue?.path.join('.') || '(body)'
  return badRequest(field, issue?.message ?? 'is invalid')
}

/** Validates the text part of the form; a problem becomes a 400 naming the form field. */
export function parseSubmissionFields(form: SubmissionForm, today: Date): ParsedSubmission {
  const known = new Set<string>(Object.values(documentFields))
  for (const name of Object.keys(form.files)) {
    if (!known.has(name)) {
      throw badRequest(name, `unknown file field; send documents as ${[...known].join(' or ')}`)
    }
  }
  const f = form.fields
  const kind = f.kind?.trim()
  if (!kind) throw badRequest('kind', 'is required (company or personal)')
  if (kind !== 'company' && kind !== 'personal') throw badRequest('kind', 'must be company or personal')
  const address = {
    line1: f['address.line1'],
    line2: f['address.line2'],
    city: f['address.city'],
    postal_code: f['address.postal_code'],
    country: f['address.country'],
  }
  if (kind === 'company') {
    const parsed = companyDetailsSchema.safeParse({
      name: f.name,
      registration_number: f.registration_number,
      address,
    })
    if (!parsed.success) throw firstIssue(parsed.error)
    return { kind, details: parsed.data }
  }
  const parsed = personalDetailsSchema.safeParse({
    first_name: f.first_name,
    last_name: f.last_name,
    birth_date: f.birth_date,
    address,
  })
  if (!parsed.success) throw firstIssue(parsed.error)
  const born = parsed.data.birth_date
  if (born && new Date(`${born}T00:00:00Z`) > today) throw badRequest('birth_date', 'must be in the past')
  return { kind, details: parsed.data }
}
