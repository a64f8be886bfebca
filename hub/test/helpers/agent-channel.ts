import type { ServerMessage } from '@switchboard/shared'
import type { AgentChannel } from '../../src/telephony/engine/ports.ts'

/**
 * An AgentChannel that keeps what each user's clients received, in order, and hands every frame
 * on to `forwardTo` (the test hub's realtime channel, as the server wires it).
 */
export class RecordingAgentChannel implements AgentChannel {
  readonly sent: { companyId: number; userId: number; message: ServerMessage }[] = []
  forwardTo?: AgentChannel['send']

  send(companyId: number, userIds: readonly number[], message: ServerMessage): void {
    for (const userId of userIds) this.sent.push({ companyId, userId, message })
    this.forwardTo?.(companyId, userIds, message)
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
