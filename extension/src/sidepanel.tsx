import type { AgentCall, CallActionBody, DeclaredStatusName, ExtensionState } from '@switchboard/shared'
import { useEffect, useState } from 'react'
import { type MessageKey, t } from './lib/i18n.ts'
import { send } from './lib/messages.ts'
import { useExtensionState } from './lib/use-extension-state.ts'

const act = (body: CallActionBody) => send('call-action', body)

const STATUS_LABELS: Record<DeclaredStatusName, MessageKey> = {
  available: 'available',
  auto: 'auto',
  unavailable: 'unavailable',
  do_not_disturb: 'doNotDisturb',
}
const LIVE_LABELS: Record<string, MessageKey> = {
  idle: 'idle',
  ringing: 'ringing',
  in_call: 'inCall',
  after_call_work: 'afterCallWork',
  pending_tag: 'pendingTag',
}

function StatusSwitch({ state }: { state: ExtensionState }) {
  const declared = state.presence?.declared ?? 'available'
  const [status, setStatus] = useState<DeclaredStatusName>(declared)
  const [reason, setReason] = useState(state.presence?.reason ?? '')
  const [error, setError] = useState<string | null>(null)
  useEffect(() => setStatus(declared), [declared])
  async function apply(next: DeclaredStatusName) {
    setStatus(next)
    const result = await act({
      action: 'set_status',
      status: next,
      reason: next === 'unavailable' && reason.trim() ? reason.trim() : undefined,
    })
    setError(result.ok ? null : result.message)
  }
  return (
    <section aria-label={t('status')} style={{ marginBottom: 12 }}>
      <label>
        {t('status')}{' '}
        <select
          value={status}
          disabled={state.connection !== 'online'}
          onChange={(e) => void apply(e.target.value as DeclaredStatusName)}
        >
          {Object.entries(STATUS_LABELS).map(([value, key]) => (
            <option key={value} value={value}>
              {t(key)}
            </option>
          ))}
        </select>
      </label>
      {status === 'unavailable' ? (
        <label style={{ display: 'block', marginTop: 6 }}>
          {t('reason')}{' '}
          <input
            value={reason}
            maxLength={100}
            onChange={(e) => setReason(e.target.value)}
            onBlur={() => void apply('unavailable')}
          />
        </label>
      ) : null}
      {state.presence ? (
        <p id="live-state" style={{ margin: '6px 0 0' }}>
          {/* The call frames are the freshest word on a call; presence covers wrap-up and tagging. */}
          {state.call
            ? t(state.call.status === 'ringing' ? 'ringing' : 'inCall')
            : t(LIVE_LABELS[state.presence.live] ?? 'idle')}
        </p>
      ) : null}
      {error ? <p role="alert">{error}</p> : null}
    </section>
  )
}

function CallCard({ call }: { call: AgentCall }) {
  const [error, setError] = useState<string | null>(null)
  const run = async (action: 'answer' | 'decline' | 'hangup') => {
    const result = await act({ action, call_id: call.call_id })
    setError(result.ok ? null : result.message)
  }
  const inbound = call.direction === 'inbound'
  const title = inbound ? t('incomingCall') : t('outgoingCall')
  return (
    <section
      id="call-card"
      aria-label={title}
      data-call-id={call.call_id}
      data-status={call.status}
      style={{ border: '1px solid #ccc', borderRadius: 8, padding: 12, marginBottom: 12 }}
    >
      <h2 style={{ fontSize: 16, margin: '0 0 8px' }}>
        {title} · {t(call.status === 'ringing' ? 'ringing' : 'inCall')}
      </h2>
      {!inbound && call.status === 'ringing' ? (
        <p>{t('outboundRinging', { to: call.external_number })}</p>
      ) : null}
      <dl style={{ display: 'grid', gridTemplateColumns: 'auto 1fr', gap: '4px 12px', margin: 0 }}>
        <dt>{inbound ? t('caller') : t('callee')}</dt>
        <dd id="call-external-number" style={{ margin: 0, fontWeight: 600 }}>
          {call.external_number}
        </dd>
        <dt>{t('numberCalled')}</dt>
        <dd style={{ margin: 0 }}>
          {call.number.name} ({call.number.digits})
        </dd>
        {call.team ? (
          <>
            <dt>{t('team')}</dt>
            <dd style={{ margin: 0 }}>{call.team.name}</dd>
          </>
        ) : null}
        {call.ivr_path.length > 0 ? (
          <>
            <dt>{t('ivrPath')}</dt>
            <dd style={{ margin: 0 }}>{call.ivr_path.join(' → ')}</dd>
          </>
        ) : null}
      </dl>
      <div style={{ display: 'flex', gap: 8, marginTop: 12 }}>
        {call.status === 'ringing' ? (
          <>
            <button type="button" onClick={() => void run('answer')}>
              {t('answer')}
            </button>
            <button type="button" onClick={() => void run('decline')}>
              {t('decline')}
            </button>
          </>
        ) : (
          <button type="button" onClick={() => void run('hangup')}>
            {t('hangUp')}
          </button>
        )}
      </div>
      {error ? <p role="alert">{error}</p> : null}
    </section>
  )
}

function TagPanel({ callId, required }: { callId: number; required: boolean }) {
  const [tags, setTags] = useState<{ id: number; name: string }[]>([])
  const [chosen, setChosen] = useState<Set<number>>(new Set())
  const [message, setMessage] = useState<string | null>(null)
  useEffect(() => {
    void send('tags', {}).then((r) => {
      if (r.ok) setTags(r.tags)
      else setMessage(r.message)
    })
  }, [])
  useEffect(() => {
    setChosen(new Set())
    setMessage(null)
  }, [callId])
  async function save() {
    const result = await act({ action: 'tag', call_id: callId, tag_ids: [...chosen] })
    setMessage(result.ok ? t('tagsSaved') : result.message)
  }
  return (
    <fieldset id="tags" style={{ marginBottom: 12 }}>
      <legend>{t('tags')}</legend>
      {required ? <p role="alert">{t('tagBeforeNext')}</p> : null}
      {tags.map((tag) => (
        <label key={tag.id} style={{ display: 'block' }}>
          <input
            type="checkbox"
            checked={chosen.has(tag.id)}
            onChange={(e) => {
              const next = new Set(chosen)
              if (e.target.checked) next.add(tag.id)
              else next.delete(tag.id)
              setChosen(next)
            }}
          />{' '}
          {tag.name}
        </label>
      ))}
      <button type="button" disabled={chosen.size === 0} onClick={() => void save()}>
        {t('saveTags')}
      </button>
      {message ? <p role="status">{message}</p> : null}
    </fieldset>
  )
}

function DialProgress({ dial }: { dial: NonNullable<ExtensionState['dial']> }) {
  const text =
    dial.state === 'requesting'
      ? t('dialRequesting', { to: dial.to })
      : dial.state === 'placed'
        ? t('dialPlaced', { to: dial.to })
        : t('dialFailed', { to: dial.to, message: dial.message ?? '' })
  return (
    <p id="dial-progress" role={dial.state === 'failed' ? 'alert' : 'status'}>
      {text}
    </p>
  )
}

function SidePanel() {
  const state = useExtensionState()
  if (!state.user)
    return (
      <main style={{ fontFamily: 'system-ui, sans-serif', padding: 12, fontSize: 14 }}>
        <p>{state.error?.message ?? t('signedOut')}</p>
        <button type="button" onClick={() => void chrome.runtime.openOptionsPage()}>
          {t('openOptions')}
        </button>
      </main>
    )
  const tagCall = state.call?.status === 'answered' ? state.call : state.call ? null : state.last_call
  const connectionKey: MessageKey =
    state.connection === 'online' ? 'online' : state.connection === 'offline' ? 'offline' : 'connecting'
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', padding: 12, fontSize: 14 }}>
      <header style={{ marginBottom: 12 }}>
        <strong>{state.user.name}</strong>
        <p id="connection" data-connection={state.connection} role="status" style={{ margin: '4px 0 0' }}>
          {t(connectionKey)}
        </p>
      </header>
      <StatusSwitch state={state} />
      {state.dial && !state.call ? <DialProgress dial={state.dial} /> : null}
      {state.call ? <CallCard call={state.call} /> : null}
      {!state.call && state.last_call ? (
        <p id="last-call">
          {t('callEnded')}: {state.last_call.external_number}
        </p>
      ) : null}
      {tagCall ? (
        <TagPanel callId={tagCall.call_id} required={state.tag_required_call_id === tagCall.call_id} />
      ) : null}
    </main>
  )
}

export default SidePanel
