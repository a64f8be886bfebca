import type { CallRefs, CallRow } from '../../telephony/engine/call-object.ts'
import { callWebhookData } from '../../telephony/engine/call-object.ts'

/** A call as the API returns it (Aircall's Call object: `sid`, `conference_participants`). */
export function toCallJson(row: CallRow, refs: CallRefs) {
  const { call_uuid, participants, ...rest } = callWebhookData(row, refs)
  return { ...rest, sid: call_uuid, conference_participants: participants }
}
export type CallJson = ReturnType<typeof toCallJson>
