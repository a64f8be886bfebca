import type { numbers } from '../db/schema/index.ts'
import type { InactiveReason } from './routing-types.ts'

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

/** Why a number is not live, or null when it is (the same rule as isNumberActive). */
export function inactiveReason(number: {
  verificationState: VerificationState
  releasedAt?: Date | null
}): InactiveReason | null {
  if (isNumberActive(number)) return null
  if (number.releasedAt) return 'released'
  switch (number.verificationState) {
    case 'pending_documents':
    case 'in_review':
    case 'rejected':
      return number.verificationState
    default:
      // isNumberActive said no for a state it did not name: refuse the calls, say pending.
      return 'pending_documents'
  }
}
