import type { ServerMessage } from '@switchboard/shared'
import type { AgentChannel } from '../../src/telephony/engine/ports.ts'

/** An AgentChannel that keeps what each user's clients would have received, in order. */
export class RecordingAgentChannel implements AgentChannel {
  readonly sent: { companyId: number; userId: number; message: ServerMessage }[] = []

  send(companyId: number, userIds: readonly number[], message: ServerMessage): void {
    for (const userId of userIds) this.sent.push({ companyId, userId, message })
  }

  /** Frames a user got, optionally only those of one call. */
  framesOf(userId: number, callId?: number): ServerMessage[] {
    return this.sent
      .filter((s) => s.userId === userId)
      .map((s) => s.message)
      .filter((m) => callId === undefined || callIdOf(m) === callId)
  }
}

function callIdOf(m: ServerMessage): number | null {
  if ('call_id' in m) return m.call_id
  if ('call' in m) return m.call?.call_id ?? null
  return null
}
