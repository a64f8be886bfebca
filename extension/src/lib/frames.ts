import {
  type CallActionBody,
  type ClientMessage,
  type DetectBody,
  type DetectResult,
  findPhoneNumbers,
} from '@switchboard/shared'

type ActionFrame = Exclude<ClientMessage, { type: 'auth' | 'ping' | 'pong' }>

/** The realtime frame of a side-panel action. */
export function frameOf(body: CallActionBody): ActionFrame {
  switch (body.action) {
    case 'tag':
      return { type: 'tag', call_id: body.call_id, tag_ids: body.tag_ids }
    case 'comment':
      return { type: 'comment', call_id: body.call_id, content: body.content }
    case 'set_status':
      return { type: 'set_status', status: body.status, reason: body.reason }
    case 'transfer': {
      const { to } = body
      return to.kind === 'user'
        ? { type: 'transfer', call_id: body.call_id, user_id: to.user_id }
        : to.kind === 'team'
          ? { type: 'transfer', call_id: body.call_id, team_id: to.team_id }
          : { type: 'transfer', call_id: body.call_id, number: to.number }
    }
    default:
      return { type: body.action, call_id: body.call_id }
  }
}

/** Phone numbers in the texts a content script found on its page (see lib/page-scanner.ts). */
export async function detect(body: DetectBody): Promise<DetectResult> {
  return { ok: true, matches: body.texts.map((text) => findPhoneNumbers(text, body.country)) }
}
