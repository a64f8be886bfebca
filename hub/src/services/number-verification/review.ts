import { and, asc, desc, eq, inArray, isNotNull, isNull } from 'drizzle-orm'
import type { Clock } from '../../core/clock.ts'
import { badRequest, DomainError, notFound } from '../../core/errors.ts'
import { createLinks } from '../../core/links.ts'
import type { Database, Queryable } from '../../db/client.ts'
import {
  companies,
  numbers,
  numberVerificationDocuments,
  numberVerificationSubmissions,
  users,
} from '../../db/schema/index.ts'
import { recordEvent } from '../../events/outbox.ts'
import type { Mailer } from '../../mail/mailer.ts'
import { hydrateNumber } from '../numbers/number-hydrate.ts'
import { verificationDecisionMail } from './mails.ts'
import { type VerificationView, verificationView } from './verification-json.ts'

/**
 * The operator's side of document verification. Approving or rejecting is not something a
 * tenant does to itself, so there is no /v1 route for it: the `sb numbers:*` commands call
 * these functions. They work across companies by design (the operator reviews everyone's
 * queue), but each read and write is still keyed by the company of the submission it acts on.
 */
export type ReviewDeps = {
  db: Database
  clock: Clock
  mailer: Mailer
  /** Absolute base of the links in event data (documents' download_link), e.g. PUBLIC_URL. */
  publicUrl: string
}

/** Review by number (its submission in review) or by a submission id. */
export type ReviewTarget = { numberId: number } | { submissionId: number }

export type ReviewResult = {
  number_id: number
  company_id: number
  submission_id: number
  state: 'active' | 'rejected'
  reason: string | null
  /** Admins the decision was mailed to; a mail failure does not undo the decision. */
  notified: string[]
  not_notified: string[]
  verification: VerificationView
}

type NumberRow = typeof numbers.$inferSelect
type SubmissionRow = typeof numberVerificationSubmissions.$inferSelect

async function findInReview(db: Queryable, target: ReviewTarget) {
  let number: NumberRow | undefined
  let submission: SubmissionRow | undefined
  if ('submissionId' in target) {
    ;[submission] = await db
      .select()
      .from(numberVerificationSubmissions)
      .where(eq(numberVerificationSubmissions.id, target.submissionId))
      .limit(1)
    if (!submission) throw notFound(`Submission ${target.submissionId} not found`)
    ;[number] = await db
      .select()
      .from(numbers)
      .where(
        and(
          eq(numbers.id, submission.numberId),
          eq(numbers.companyId, submission.companyId),
          isNull(numbers.releasedAt),
        ),
      )
      .limit(1)
    if (!number) throw notFound(`The number of submission ${submission.id} was released`)
  } else {
    ;[number] = await db
      .select()
      .from(numbers)
      .where(and(eq(numbers.id, target.numberId), isNull(numbers.releasedAt)))
      .limit(1)
    if (!number) throw notFound(`Number ${target.numberId} not found`)
    ;[submission] = await db
      .select()
      .from(numberVerificationSubmissions)
      .where(
        and(
          eq(numberVerificationSubmissions.companyId, number.companyId),
          eq(numberVerificationSubmissions.numberId, number.id),
          eq(numberVerificationSubmissions.state, 'in_review'),
        ),
      )
      .orderBy(desc(numberVerificationSubmissions.createdAt), desc(numberVerificationSubmissions.id))
      .limit(1)
  }
  if (number.verificationState !== 'in_review' || !submission || submission.state !== 'in_review') {
    const what =
      submission && submission.state !== 'in_review'
        ? `submission ${submission.id} was already ${submission.state}`
        : `number ${number.id} is ${number.verificationState}`
    throw new DomainError('conflict', `Nothing to review: ${what}`)
  }
  return { number, submission }
}

async function decide(
  deps: ReviewDeps,
  target: ReviewTarget,
  decision: { state: 'active'; reason: null } | { state: 'rejected'; reason: string },
): Promise<ReviewResult> {
  const now = deps.clock.now()
  const links = createLinks(deps.publicUrl)
  const done = await deps.db.transaction(async (tx) => {
    const { number, submission } = await findInReview(tx, target)
    const companyId = number.companyId
    const [updated] = await tx
      .update(numbers)
      .set({ verificationState: decision.state, rejectionReason: decision.reason, updatedAt: now })
      .where(
        and(
          eq(numbers.id, number.id),
          eq(numbers.companyId, companyId),
          eq(numbers.verificationState, 'in_review'),
        ),
      )
      .returning()
    const [reviewed] = await tx
      .update(numberVerificationSubmissions)
      .set({
        state: decision.state === 'active' ? 'approved' : 'rejected',
        reason: decision.reason,
        reviewedAt: now,
        updatedAt: now,
      })
      .where(
        and(
          eq(numberVerificationSubmissions.id, submission.id),
          eq(numberVerificationSubmissions.companyId, companyId),
          eq(numberVerificationSubmissions.state, 'in_review'),
        ),
      )
      .returning({ id: numberVerificationSubmissions.id })
    // Another operator decided between our read and our write.
    if (!updated || !reviewed)
      throw new DomainError('conflict', `Submission ${submission.id} was reviewed meanwhile`)
    const view = await verificationView(tx, updated, links)
    // Webhook data is the Number as the API shows it, with its verification alongside.
    const numberJson = await hydrateNumber(tx, companyId, links, now, updated)
    await recordEvent(
      tx,
      deps.clock,
      companyId,
      decision.state === 'active' ? 'number.verification_approved' : 'number.verification_rejected',
      { ...numberJson, verification: view },
    )
    return { number: updated, submissionId: submission.id, view }
  })
  // Mail after the commit: admins never hear of a decision that was rolled back.
  const mailed = await notifyAdmins(deps.db, deps.mailer, done.number, decision.reason)
  return {
    number_id: done.number.id,
    company_id: done.number.companyId,
    submission_id: done.submissionId,
    state: decision.state,
    reason: decision.reason,
    notified: mailed.sent,
    not_notified: mailed.failed,
    verification: done.view,
  }
}

/** The number goes live: submission approved, number active, admins told, event recorded. */
export async function approveVerification(deps: ReviewDeps, target: ReviewTarget): Promise<ReviewResult> {
  return decide(deps, target, { state: 'active', reason: null })
}

export const MAX_REASON_LENGTH = 500

/** The submission is refused with a reason the company sees (GET, mail); it may then submit again. */
export async function rejectVerification(
  deps: ReviewDeps,
  target: ReviewTarget,
  reason: string,
): Promise<ReviewResult> {
  const trimmed = reason.trim()
  if (!trimmed) throw badRequest('reason', 'is required: the company is told why')
  if (trimmed.length > MAX_REASON_LENGTH) {
    throw badRequest('reason', `must be at most ${MAX_REASON_LENGTH} characters`)
  }
  return decide(deps, target, { state: 'rejected', reason: trimmed })
}

/**
 * Mails the company's admins who have an account (invitation accepted) about the decision.
 * Each mail is tried independently; failures are reported, not thrown, because the decision
 * is already committed.
 */
async function notifyAdmins(db: Database, mailer: Mailer, number: NumberRow, reason: string | null) {
  const [company] = await db
    .select({ name: companies.name })
    .from(companies)
    .where(eq(companies.id, number.companyId))
  const admins = await db
    .select({ email: users.email, language: users.language })
    .from(users)
    .where(
      and(
        eq(users.companyId, number.companyId),
        eq(users.role, 'admin'),
        isNotNull(users.invitationAcceptedAt),
      ),
    )
    .orderBy(asc(users.id))
  const results = await Promise.allSettled(
    admins.map((admin) =>
      mailer.send(
        verificationDecisionMail({
          to: admin.email,
          language: admin.language,
          companyName: company?.name ?? '',
          numberName: number.name,
          e164: number.e164,
          reason,
        }),
      ),
    ),
  )
  return {
    sent: admins.filter((_, i) => results[i]?.status === 'fulfilled').map((a) => a.email),
    failed: admins.filter((_, i) => results[i]?.status === 'rejected').map((a) => a.email),
  }
}

export type PendingVerification = {
  submission_id: number
  company_id: number
  company_name: string
  number_id: number
  number_name: string
  e164: string
  country: string
  area: string | null
  kind: 'company' | 'personal'
  details: SubmissionRow['details']
  submitted_at: string
  documents: {
    id: number
    type: 'identity' | 'address'
    filename: string
    content_type: string
    size: number
    sha256: string
    /** Where the bytes are in the blob store (DATA_DIR/blobs/<key> with the disk driver). */
    blob_key: string
  }[]
}

/** The operator's queue: submissions in review across all companies, oldest first. */
export async function listPendingVerifications(db: Database, limit = 100): Promise<PendingVerification[]> {
  const rows = await db
    .select({ submission: numberVerificationSubmissions, number: numbers, companyName: companies.name })
    .from(numberVerificationSubmissions)
    .innerJoin(
      numbers,
      and(
        eq(numbers.id, numberVerificationSubmissions.numberId),
        eq(numbers.companyId, numberVerificationSubmissions.companyId),
      ),
    )
    .innerJoin(companies, eq(companies.id, numberVerificationSubmissions.companyId))
    .where(
      and(
        eq(numberVerificationSubmissions.state, 'in_review'),
        eq(numbers.verificationState, 'in_review'),
        isNull(numbers.releasedAt),
      ),
    )
    .orderBy(asc(numberVerificationSubmissions.createdAt), asc(numberVerificationSubmissions.id))
    .limit(limit)
  const docs = rows.length
    ? await db
        .select()
        .from(numberVerificationDocuments)
        .where(
          inArray(
            numberVerificationDocuments.submissionId,
            rows.map((r) => r.submission.id),
          ),
        )
        .orderBy(asc(numberVerificationDocuments.id))
    : []
  return rows.map(({ submission, number, companyName }) => ({
    submission_id: submission.id,
    company_id: submission.companyId,
    company_name: companyName,
    number_id: number.id,
    number_name: number.name,
    e164: number.e164,
    country: number.country,
    area: number.area,
    kind: submission.kind,
    details: submission.details,
    submitted_at: submission.createdAt.toISOString(),
    documents: docs
      .filter((d) => d.submissionId === submission.id && d.companyId === submission.companyId)
      .map((d) => ({
        id: d.id,
        type: d.type,
        filename: d.filename,
        content_type: d.contentType,
        size: d.size,
        sha256: d.sha256,
        blob_key: d.blobKey,
      })),
  }))
}
