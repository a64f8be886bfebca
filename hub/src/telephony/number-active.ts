import type { numbers } from '../../db/schema/index.ts'

type VerificationState = (typeof numbers.$inferSelect)['verificationState']

/**
 * Whether a number may receive and place calls: its documents were approved, or its country
 * never needed any, and it has not been released. Numbers waiting for documents, in review
 * or rejected are inactive. For the call engine (inbound and outbound) and number listings.
 */
export function isNumberActive(number: {
  verificationState: VerificationState
  releasedAt?: Date | null
}): boolean {
  if (number.releasedAt) return false
  return number.verificationState === 'not_required' || number.verificationState === 'active'
}
