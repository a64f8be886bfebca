import { and, asc, desc, eq, inArray } from 'drizzle-orm'
import type { Links } from '../../core/links.ts'
import type { Queryable } from '../../db/client.ts'
import {
  type numbers,
  numberVerificationDocuments,
  numberVerificationSubmissions,
} from '../../db/schema/index.ts'
import { isNumberActive } from '../../telephony/number-active.ts'
import { requirementsFor } from './verification-rules.ts'

type SubmissionRow = typeof numberVerificationSubmissions.$inferSelect
type DocumentRow = typeof numberVerificationDocuments.$inferSelect
type NumberRow = typeof numbers.$inferSelect

export function toDocumentJson(d: DocumentRow, numberId: number, links: Links) {
  return {
    id: d.id,
    type: d.type,
    filename: d.filename,
    content_type: d.contentType,
    size: d.size,
    sha256: d.sha256,
    download_link: links.verificationDocument(numberId, d.id),
  }
}

export function toSubmissionJson(s: SubmissionRow, docs: DocumentRow[], links: Links) {
  return {
    id: s.id,
    number_id: s.numberId,
    kind: s.kind,
    state: s.state,
    reason: s.reason,
    details: s.details,
    documents: docs
      .filter((d) => d.submissionId === s.id)
      .sort((a, b) => (a.type === b.type ? a.id - b.id : a.type === 'identity' ? -1 : 1))
      .map((d) => toDocumentJson(d, s.numberId, links)),
    submitted_by: { type: s.submittedByType, id: s.submittedById },
    reviewed_at: s.reviewedAt?.toISOString() ?? null,
    created_at: s.createdAt.toISOString(),
  }
}
export type SubmissionView = ReturnType<typeof toSubmissionJson>

/**
 * A number's verification as GET /v1/numbers/:id/verification shows it (also the `data` of
 * the number.verification_* events). Submissions newest first. Callers pass a number row
 * they already scoped to the company.
 */
export async function verificationView(db: Queryable, number: NumberRow, links: Links) {
  const submissions = await db
    .select()
    .from(numberVerificationSubmissions)
    .where(
      and(
        eq(numberVerificationSubmissions.companyId, number.companyId),
        eq(numberVerificationSubmissions.numberId, number.id),
      ),
    )
    .orderBy(desc(numberVerificationSubmissions.createdAt), desc(numberVerificationSubmissions.id))
  const docs = submissions.length
    ? await db
        .select()
        .from(numberVerificationDocuments)
        .where(
          and(
            eq(numberVerificationDocuments.companyId, number.companyId),
            inArray(
              numberVerificationDocuments.submissionId,
              submissions.map((s) => s.id),
            ),
          ),
        )
        .orderBy(asc(numberVerificationDocuments.id))
    : []
  return {
    number_id: number.id,
    state: number.verificationState,
    active: isNumberActive(number),
    rejection_reason: number.verificationState === 'rejected' ? number.rejectionReason : null,
    requirements: requirementsFor(number.country, number.area),
    submissions: submissions.map((s) => toSubmissionJson(s, docs, links)),
  }
}
export type VerificationView = Awaited<ReturnType<typeof verificationView>>
