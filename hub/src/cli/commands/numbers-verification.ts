import { z } from 'zod'
import { parseAdminInput } from '../../admin/operations.ts'
import {
  approveVerification,
  listPendingVerifications as listPending,
  MAX_REASON_LENGTH,
  type PendingVerification,
  type ReviewDeps,
  type ReviewResult,
  type ReviewTarget,
  rejectVerification,
} from '../../services/number-verification/review.ts'

/**
 * Operator commands for document verification, for `sb`:
 *
 *   sb numbers:pending [--limit <n>] [--json]          the review queue, oldest first
 *   sb numbers:approve <number id>                       the number goes live, admins are mailed
 *   sb numbers:reject <number id> --reason "<text>"     the company sees the reason and resubmits
 *
 * Like admin/operations.ts, these take untrusted input (argv or the admin socket's JSON) and
 * throw DomainError (bad_request, not_found for an unknown number, conflict when nothing is in review), so they can
 * run directly in the CLI or inside the hub behind DATA_DIR/admin.sock. The deps are the
 * AdminDeps' db and clock plus a mailer (createMailer(env, logger)) and the public URL the
 * documents' links use (PUBLIC_URL, else http://localhost:PORT).
 */
export type VerificationCommandDeps = ReviewDeps

const id = (what: string) =>
  z.coerce
    .number({ error: `must be a ${what} id` })
    .int(`must be a ${what} id`)
    .min(1, `must be a ${what} id`)
    .max(2_147_483_647, `must be a ${what} id`)

/** Either the number (its submission in review) or one submission. */
const targetSchema = z.union([
  z.object({ number_id: id('number') }),
  z.object({ submission_id: id('submission') }),
])

function toTarget(input: z.infer<typeof targetSchema>): ReviewTarget {
  return 'number_id' in input ? { numberId: input.number_id } : { submissionId: input.submission_id }
}

export const pendingInputSchema = z.object({
  limit: z.coerce.number().int().min(1, 'must be 1 to 1000').max(1000, 'must be 1 to 1000').default(100),
})

export async function listPendingVerifications(
  deps: Pick<VerificationCommandDeps, 'db'>,
  input: unknown = {},
): Promise<PendingVerification[]> {
  const { limit } = parseAdminInput(pendingInputSchema, input ?? {})
  return listPending(deps.db, limit)
}

/** `{ number_id }` or `{ submission_id }`. */
export async function approveNumber(deps: VerificationCommandDeps, input: unknown): Promise<ReviewResult> {
  const target = toTarget(parseAdminInput(targetSchema, input))
  return approveVerification(deps, target)
}

export const rejectInputSchema = z.intersection(
  targetSchema,
  z.object({
    reason: z
      .string({ error: 'is required: the company is told why' })
      .trim()
      .min(1, 'is required: the company is told why')
      .max(MAX_REASON_LENGTH, `must be at most ${MAX_REASON_LENGTH} characters`),
  }),
)

/** `{ number_id | submission_id, reason }`. */
export async function rejectNumber(deps: VerificationCommandDeps, input: unknown): Promise<ReviewResult> {
  const parsed = parseAdminInput(rejectInputSchema, input)
  return rejectVerification(deps, toTarget(parsed), parsed.reason)
}

/** Human-readable lines for `sb numbers:pending`. */
export function formatPending(list: PendingVerification[]): string[] {
  if (list.length === 0) return ['No number is waiting for review.']
  const lines: string[] = []
  for (const p of list) {
    const d = p.details
    const who =
      'name' in d ? `company "${d.name}" (${d.registration_number})` : `person ${d.first_name} ${d.last_name}`
    const a = d.address
    lines.push(
      `number ${p.number_id}  ${p.e164}  "${p.number_name}"  ${p.country}${p.area ? ` area ${p.area}` : ''}  company ${p.company_id} "${p.company_name}"  submitted ${p.submitted_at}`,
      `  ${who}, ${[a.line1, a.line2, `${a.postal_code} ${a.city}`, a.country].filter(Boolean).join(', ')}`,
    )
    for (const doc of p.documents) {
      lines.push(
        `  ${doc.type}: ${doc.filename} (${doc.content_type}, ${doc.size} bytes) blob ${doc.blob_key}`,
      )
    }
  }
  lines.push(
    `${list.length} submission(s) in review. Decide with: sb numbers:approve <number id>  or  sb numbers:reject <number id> --reason "…"`,
  )
  return lines
}

/** The line `sb numbers:approve` / `numbers:reject` prints. */
export function formatDecision(result: ReviewResult): string[] {
  const lines = [
    result.state === 'active'
      ? `Number ${result.number_id} (company ${result.company_id}) is active; submission ${result.submission_id} approved.`
      : `Number ${result.number_id} (company ${result.company_id}) rejected: ${result.reason}`,
  ]
  if (result.notified.length) lines.push(`Mailed: ${result.notified.join(', ')}`)
  if (result.not_notified.length) lines.push(`Mail FAILED for: ${result.not_notified.join(', ')}`)
  return lines
}
