import type { AgentCall, ExtensionState, ServerMessage } from '@switchboard/shared'

/**
 * How the hub's realtime frames change what the side panel shows. Pure, so the rules are tested
 * without a browser; the background stores the result in `chrome.storage.session`.
 */
const RECENT_CALLS = 20

function remember(recent: AgentCall[], call: AgentCall): AgentCall[] {
  return [call, ...recent.filter((c) => c.call_id !== call.call_id)].slice(0, RECENT_CALLS)
}

/** The caller card is kept while its call is the current one (ringing or in progress). */
function cardFor(state: ExtensionState, call: AgentCall | null): ExtensionState['caller_card'] {
  return call && state.caller_card?.call_id === call.call_id ? state.caller_card : null
}

/** The insight cards are kept while their call is the current one. */
function cardsFor(state: ExtensionState, call: AgentCall | null): ExtensionState['insight_cards'] {
  return call ? state.insight_cards.filter((c) => c.call_id === call.call_id) : []
}

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
        caller_card: cardFor(state, message.call),
        // The hub sends the call's cards again right after hello.
        insight_cards: [],
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
        caller_card: cardFor(state, message.call),
        insight_cards: cardsFor(state, message.call),
        transfer_failed:
          state.transfer_failed?.call_id === message.call.call_id ? state.transfer_failed : null,
        // The hub's call supersedes a click-to-call in progress.
        dial: message.call.direction === 'outbound' ? null : state.dial,
      }
    case 'call.ended':
      return {
        ...state,
        call: state.call?.call_id === message.call.call_id ? null : state.call,
        insight_cards: state.call?.call_id === message.call.call_id ? [] : state.insight_cards,
        last_call: message.call,
        recent_calls: remember(state.recent_calls, message.call),
        transfer_failed: null,
        tag_required_call_id: message.call.tag_required ? message.call.call_id : state.tag_required_call_id,
      }
    case 'call.ring_stopped':
    case 'call.transferred':
      return state.call?.call_id === message.call_id
        ? {
            ...state,
            recent_calls: remember(state.recent_calls, { ...state.call, status: 'done' }),
            call: null,
            caller_card: null,
            insight_cards: [],
            transfer_failed: null,
          }
        : state
    case 'call.transfer_failed':
      return { ...state, transfer_failed: { call_id: message.call_id, reason: message.reason } }
    case 'call.tag_required':
      return { ...state, tag_required_call_id: message.call_id }
    case 'call.caller_card':
      // A card for a call that is already over is of no use; one for the current call replaces any other.
      return state.call?.call_id === message.call_id
        ? { ...state, caller_card: { call_id: message.call_id, card: message.card } }
        : state
    case 'call.insight_card':
      // Shown with the current call only; the hub sends a call's cards again after `hello`.
      return state.call?.call_id === message.call_id
        ? {
            ...state,
            insight_cards: [
              ...state.insight_cards,
              { call_id: message.call_id, contents: message.contents },
            ].slice(-20),
          }
        : state
    case 'callback_task.created':
      return { ...state, callbacks_seen: state.callbacks_seen + 1 }
    case 'dial':
      return { ...state, prefill: { to: message.to, number_id: message.number_id } }
    default:
      return state
  }
}
