import type { ExtensionState, ServerMessage } from '@switchboard/shared'

/**
 * How the hub's realtime frames change what the side panel shows. Pure, so the rules are tested
 * without a browser; the background stores the result in `chrome.storage.session`.
 */
export function applyServerMessage(state: ExtensionState, message: ServerMessage): ExtensionState {
  switch (message.type) {
    case 'hello':
      // After a reconnect, hello is the truth: the call the agent is on now, or none.
      return {
        ...state,
        connection: 'online',
        error: null,
        presence: message.presence,
        call: message.call,
        tag_required_call_id:
          message.presence.live === 'pending_tag'
            ? (state.tag_required_call_id ?? state.last_call?.call_id ?? null)
            : null,
      }
    case 'presence':
      return { ...state, presence: message.presence }
    case 'call.ringing':
    case 'call.answered':
      return {
        ...state,
        call: message.call,
        // The hub's call supersedes a click-to-call in progress.
        dial: message.call.direction === 'outbound' ? null : state.dial,
      }
    case 'call.ended':
      return {
        ...state,
        call: state.call?.call_id === message.call.call_id ? null : state.call,
        last_call: message.call,
        tag_required_call_id: message.call.tag_required ? message.call.call_id : state.tag_required_call_id,
      }
    case 'call.ring_stopped':
    case 'call.transferred':
      return state.call?.call_id === message.call_id ? { ...state, call: null } : state
    case 'call.tag_required':
      return { ...state, tag_required_call_id: message.call_id }
    default:
      return state
  }
}
