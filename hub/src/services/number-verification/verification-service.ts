import { createHash, randomUUID } from 'node:crypto'
import { and, eq, inArray, isNull } from 'drizzle-orm'
import type { BlobStore } from '../../blobs/blob-store.ts'
import { badRequest, DomainError, notFound } from '../../core/errors.ts'
import type { Queryable } from '../../db/client.ts'
import { numbers, numberVerificationDocuments, numberVerificationSubmissions } from '../../db/schema/index.ts'
import type { ServiceContext } from '../context.ts'
import {
  cleanFilename,
  type DocumentContentType,
  detectDocumentType,
  MAX_DOCUMENT_BYTES,
} from './document-content.ts'
import {
  type DocumentType,
  documentFields,
  parseSubmissionFields,
  type SubmissionForm,
} from './submission-input.ts'
import {
  type SubmissionView,
  toSubmissionJson,
  type VerificationView,
  verificationView,
} from './verification-json.ts'
import { requirementsFor } from './verification-rules.ts'

type NumberRow = typeof numbers.$inferSelect

/** States from which a company may (re)submit: nothing sent yet, or the last submission was rejected. */
const SUBMITTABLE = ['pending_documents', 'rejected'] as const

/** A live number of the company; another company's id or a released number is a 404, like a missing one. */
export async function findCompanyNumber(
  db: Queryable,
  companyId: number,
  numberId: number,
): Promise<NumberRow> {
  const [number] = await db
    .select()
    .from(numbers)
    .where(and(eq(numbers.id, numberId), eq(numbers.companyId, companyId), isNull(numbers.releasedAt)))
    .limit(1)
  if (!number) throw notFound('Number not found')
  return number
}

export async function getNumberVerification(
  ctx: ServiceContext,
  numberId: number,
): Promise<VerificationView> {
  const number = await findCompanyNumber(ctx.db, ctx.companyId, numberId)
  return verificationView(ctx.db, number, ctx.links)
}

function notSubmittable(number: NumberRow): DomainError {
  switch (number.verificationState) {
    case 'not_required':
      return new DomainError(
        'conflict',
        'This number does not need document verification: it is already usable',
      )
    case 'active':
      return new DomainError('conflict', "This number's documents were already approved: it is active")
    case 'in_review':
      return new DomainError(
        'conflict',
        'A submission for this number is already in review; you can submit again only if it is rejected',
      )
    default:
      return new DomainError(
        'conflict',
        `This number cannot take a submission in state ${number.verificationState}`,
      )
  }
}

type CheckedUpload = {
  type: DocumentType
  bytes: Uint8Array
  contentType: DocumentContentType
  ext: string
  filename: string
  sha256: string
}

/**
 * Checks every file before anything is stored: required by the country, within the size
 * limit, and really a PDF, JPEG or PNG. Size is checked on the declared size first (cheap)
 * and again on the bytes read.
 */
async function checkUploads(form: SubmissionForm, required: DocumentType[], countryLabel: string) {
  for (const type of required) {
    const field = documentFields[type]
    if (!form.files[field]) throw badRequest(field, `is required for numbers in ${countryLabel}`)
  }
  const uploads: CheckedUpload[] = []
  for (const type of ['identity', 'address'] as const) {
    const field = documentFields[type]
    const file = form.files[field]
    if (!file) continue
    const tooLarge = () =>
      new DomainError(
        'payload_too_large',
        `${field}: must be at most ${MAX_DOCUMENT_BYTES / 1024 / 1024} MB`,
        {
          field,
          details: [{ field, message: `must be at most ${MAX_DOCUMENT_BYTES} bytes` }],
        },
      )
    if (file.size > MAX_DOCUMENT_BYTES) throw tooLarge()
    const bytes = new Uint8Array(await file.arrayBuffer())
    if (bytes.byteLength > MAX_DOCUMENT_BYTES) throw tooLarge()
    if (bytes.byteLength === 0) throw badRequest(field, 'is an empty file')
    const detected = detectDocumentType(bytes)
    if (!detected) {
      throw badRequest(
        field,
        'must be a PDF, JPEG or PNG file (its content is none of these, whatever its name)',
      )
    }
    uploads.push({
      type,
      bytes,
      contentType: detected.type,
      ext: detected.ext,
      filename: cleanFilename(file.name, `${type}.${detected.ext}`),
      sha256: createHash('sha256').update(bytes).digest('hex'),
    })
  }
  return uploads
}

/**
 * A company sends its information and documents for a number waiting for them (or rejected):
 * files go to the blob store, the submission is recorded, the number moves to in_review.
 * Checks run in the order a client can act on: which number (404), whether it takes a
 * submission now (409), the form fields (400), then each file (400 / 413).
 */
export async function submitNumberVerification(
  ctx: ServiceContext,
  blobs: BlobStore,
  numberId: number,
  form: SubmissionForm,
): Promise<SubmissionView> {
  const number = await findCompanyNumber(ctx.db, ctx.companyId, numberId)
  if (!(SUBMITTABLE as readonly string[]).includes(number.verificationState)) throw notSubmittable(number)
  const requirements = requirementsFor(number.country, number.area)
  const parsed = parseSubmissionFields(form, ctx.clock.now())
  const countryLabel = requirements.country_name ?? requirements.country
  if (parsed.details.address.country !== requirements.country) {
    throw badRequest(
      'address.country',
      `must be ${requirements.country}: the address must be in the number's country (${countryLabel})`,
    )
  }
  const uploads = await checkUploads(form, requirements.documents, countryLabel)

  const now = ctx.clock.now()
  const stored: string[] = []
  try {
    const keyed: (CheckedUpload & { key: string })[] = []
    for (const u of uploads) {
      const key = `c/${ctx.companyId}/verification/${randomUUID()}.${u.ext}`
      await blobs.put(key, u.bytes, u.contentType)
      stored.push(key)
      keyed.push({ ...u, key })
    }
    return await ctx.db.transaction(async (tx) => {
      // The state guard is in the update itself: of two concurrent submissions one moves the
      // number and the other finds nothing to update.
      const [moved] = await tx
        .update(numbers)
        .set({ verificationState: 'in_review', rejectionReason: null, updatedAt: now })
        .where(
          and(
            eq(numbers.id, number.id),
            eq(numbers.companyId, ctx.companyId),
            isNull(numbers.releasedAt),
            inArray(numbers.verificationState, [...SUBMITTABLE]),
          ),
        )
        .returning({ id: numbers.id })
      if (!moved) {
        throw new DomainError(
          'conflict',
          'This number changed state meanwhile; read its verification and try again',
        )
      }
      const [submission] = await tx
        .insert(numberVerificationSubmissions)
        .values({
          companyId: ctx.companyId,
          numberId: number.id,
          kind: parsed.kind,
          details: parsed.details,
          state: 'in_review',
          submittedByType: ctx.actor.type,
          submittedById: ctx.actor.type === 'api_key' ? ctx.actor.apiKeyId : ctx.actor.userId,
          createdAt: now,
          updatedAt: now,
        })
        .returning()
      const docs = keyed.length
        ? await tx
            .insert(numberVerificationDocuments)
            .values(
              keyed.map((u) => ({
                companyId: ctx.companyId,
                submissionId: submission!.id,
                type: u.type,
                blobKey: u.key,
                filename: u.filename,
                contentType: u.contentType,
                size: u.bytes.byteLength,
                sha256: u.sha256,
                createdAt: now,
              })),
            )
            .returning()
        : []
      return toSubmissionJson(submission!, docs, ctx.links)
    })
  } catch (err) {
    // Nothing references these blobs when the transaction did not commit.
    await Promise.allSettled(stored.map((key) => blobs.delete(key)))
    throw err
  }
}

/** One uploaded document of one of the company's numbers, with its bytes. */
export async function getVerificationDocument(
  ctx: ServiceContext,
  blobs: BlobStore,
  numberId: number,
  documentId: number,
) {
  const number = await findCompanyNumber(ctx.db, ctx.companyId, numberId)
  const [doc] = await ctx.db
    .select({ document: numberVerificationDocuments })
    .from(numberVerificationDocuments)
    .innerJoin(
      numberVerificationSubmissions,
      eq(numberVerificationSubmissions.id, numberVerificationDocuments.submissionId),
    )
    .where(
      and(
        eq(numberVerificationDocuments.id, documentId),
        eq(numberVerificationDocuments.companyId, ctx.companyId),
        eq(numberVerificationSubmissions.companyId, ctx.companyId),
        eq(numberVerificationSubmissions.numberId, number.id),
      ),
    )
    .limit(1)
  if (!doc) throw notFound('Document not found')
  const blob = await blobs.get(doc.document.blobKey)
  if (!blob) throw notFound('Document content not found')
  return {
    bytes: blob.bytes,
    contentType: doc.document.contentType,
    filename: doc.document.filename,
    size: blob.size,
  }
}
