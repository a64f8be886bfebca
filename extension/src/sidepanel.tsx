import type {
  AgentCall,
  CallActionBody,
  CallbackTaskSummary,
  DeclaredStatusName,
  ExtensionState,
  SignedInUser,
} from '@switchboard/shared'
import { type FormEvent, useEffect, useId, useState } from 'react'
import { CallerDetails, CallerHeading } from './components/caller-card.tsx'
import { InsightCards } from './components/insight-cards.tsx'
import { type MessageKey, t } from './lib/i18n.ts'
import { send } from './lib/messages.ts'
import { useExtensionState } from './lib/use-extension-state.ts'
import './sidepanel.css'

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

/** What the agent is doing: the call frames are the freshest word on a call; presence covers wrap-up and tagging. */
function liveOf(state: ExtensionState): string {
  if (state.call) return state.call.status === 'ringing' ? 'ringing' : 'in_call'
  if (state.tag_required_call_id !== null) return 'pending_tag'
  return state.presence?.live ?? 'idle'
}

function Header({ state, user }: { state: ExtensionState; user: SignedInUser }) {
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
  const connectionKey: MessageKey =
    state.connection === 'online' ? 'online' : state.connection === 'offline' ? 'offline' : 'connecting'
  const live = liveOf(state)
  return (
    <header className="top">
      <div className="who">
        <span className={`presence ${status}`} aria-hidden="true" />
        <strong>{user.name}</strong>
        <span
          id="connection"
          data-connection={state.connection}
          role="status"
          className={`conn ${state.connection}`}
          title={t(connectionKey)}
        >
          {t(connectionKey)}
        </span>
      </div>
      <div className="status-row">
        <label className="select">
          <span className="sr-only">{t('status')}</span>
          <select
            id="status"
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
        {state.presence ? (
          <span id="live-state" className={`pill ${live}`}>
            {t(LIVE_LABELS[live] ?? 'idle')}
          </span>
        ) : null}
      </div>
      {status === 'unavailable' ? (
        <label className="field reason">
          <span>{t('reason')}</span>
          <input
            value={reason}
            maxLength={100}
            onChange={(e) => setReason(e.target.value)}
            onBlur={() => void apply('unavailable')}
            onKeyDown={(e) => {
              if (e.key === 'Enter') void apply('unavailable')
            }}
          />
        </label>
      ) : null}
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
    </header>
  )
}

function TransferForm({ call, onDone }: { call: AgentCall; onDone: () => void }) {
  const [kind, setKind] = useState<'user' | 'team' | 'number'>('user')
  const [targets, setTargets] = useState<{
    users: { id: number; name: string }[]
    teams: { id: number; name: string }[]
  }>({ users: [], teams: [] })
  const [choice, setChoice] = useState('')
  const [number, setNumber] = useState('')
  const [error, setError] = useState<string | null>(null)
  const id = useId()
  useEffect(() => {
    void send('directory', {}).then((r) => {
      if (!r.ok) return setError(r.message)
      setTargets({ users: r.users, teams: r.teams })
      if (r.users.length === 0 && r.teams.length === 0) setKind('number')
    })
  }, [])
  async function submit(event: FormEvent) {
    event.preventDefault()
    const to =
      kind === 'number'
        ? { kind, number: number.trim() }
        : kind === 'user'
          ? { kind, user_id: Number(choice) }
          : { kind, team_id: Number(choice) }
    const result = await act({ action: 'transfer', call_id: call.call_id, to })
    if (result.ok) onDone()
    else setError(result.message)
  }
  const list = kind === 'user' ? targets.users : targets.teams
  return (
    <form className="panel transfer" onSubmit={submit} aria-labelledby={`${id}-title`}>
      <h3 id={`${id}-title`}>{t('transferTo')}</h3>
      <div className="segmented" role="radiogroup" aria-label={t('transferTo')}>
        {(['user', 'team', 'number'] as const).map((k) => (
          <label key={k} className={kind === k ? 'on' : ''}>
            <input
              type="radio"
              name={`${id}-kind`}
              value={k}
              checked={kind === k}
              onChange={() => {
                setKind(k)
                setChoice('')
              }}
            />
            {t(k)}
          </label>
        ))}
      </div>
      {kind === 'number' ? (
        <label className="field">
          <span>{t('number')}</span>
          <input
            inputMode="tel"
            value={number}
            onChange={(e) => setNumber(e.target.value)}
            placeholder="+33 1 23 45 67 89"
          />
        </label>
      ) : list.length ? (
        <label className="field">
          <span>{t(kind)}</span>
          <select value={choice} onChange={(e) => setChoice(e.target.value)} required>
            <option value="" disabled>
              —
            </option>
            {list.map((item) => (
              <option key={item.id} value={item.id}>
                {item.name}
              </option>
            ))}
          </select>
        </label>
      ) : (
        <p className="muted small">{t('noTargets')}</p>
      )}
      <div className="actions">
        <button
          type="submit"
          className="primary"
          disabled={kind === 'number' ? number.trim().length < 3 : !choice}
        >
          {t('transfer')}
        </button>
        <button type="button" className="ghost" onClick={onDone}>
          {t('cancel')}
        </button>
      </div>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
    </form>
  )
}

function CommentForm({ callId }: { callId: number }) {
  const [content, setContent] = useState('')
  const [message, setMessage] = useState<string | null>(null)
  const id = useId()
  async function submit(event: FormEvent) {
    event.preventDefault()
    const result = await act({ action: 'comment', call_id: callId, content })
    setMessage(result.ok ? t('commentSaved') : result.message)
    if (result.ok) setContent('')
  }
  return (
    <form className="comment" onSubmit={submit}>
      <label htmlFor={`${id}-c`} className="sr-only">
        {t('comment')}
      </label>
      <textarea
        id={`${id}-c`}
        rows={2}
        placeholder={t('comment')}
        value={content}
        maxLength={5000}
        onChange={(e) => setContent(e.target.value)}
      />
      <button type="submit" className="ghost" disabled={!content.trim()}>
        {t('addComment')}
      </button>
      {message ? (
        <p role="status" className="muted small">
          {message}
        </p>
      ) : null}
    </form>
  )
}

function CallView({ state, call }: { state: ExtensionState; call: AgentCall }) {
  const [error, setError] = useState<string | null>(null)
  const [transferring, setTransferring] = useState(false)
  const run = async (body: CallActionBody) => {
    const result = await act(body)
    setError(result.ok ? null : result.message)
  }
  const inbound = call.direction === 'inbound'
  const card = state.caller_card?.call_id === call.call_id ? state.caller_card.card : null
  const ringing = call.status === 'ringing'
  return (
    <section
      id="call-card"
      className={`call ${ringing ? 'is-ringing' : 'is-live'}`}
      aria-label={inbound ? t('incomingCall') : t('outgoingCall')}
      data-call-id={call.call_id}
      data-status={call.status}
    >
      <p className="eyebrow">
        {inbound ? t('incomingCall') : t('outgoingCall')} · {t(ringing ? 'ringing' : 'inCall')}
        {call.recording !== 'off' ? (
          <span className={`rec ${call.recording}`}>
            {t(call.recording === 'on' ? 'recording' : 'recordingPaused')}
          </span>
        ) : null}
      </p>
      <CallerHeading call={call} card={card} />
      {!inbound && ringing ? (
        <p className="hint">{t('outboundRinging', { to: call.external_number })}</p>
      ) : null}
      <dl className="facts">
        <dt>{t('numberCalled')}</dt>
        <dd>
          {call.number.name} <span className="muted mono">{call.number.digits}</span>
        </dd>
        {call.team ? (
          <>
            <dt>{t('team')}</dt>
            <dd>{call.team.name}</dd>
          </>
        ) : null}
        {call.ivr_path.length > 0 ? (
          <>
            <dt>{t('ivrPath')}</dt>
            <dd id="ivr-path">{call.ivr_path.join(' → ')}</dd>
          </>
        ) : null}
      </dl>
      <InsightCards cards={state.insight_cards.filter((c) => c.call_id === call.call_id)} />
      {state.transfer_failed?.call_id === call.call_id ? (
        <p role="alert" className="warning">
          {t('transferFailed', { reason: state.transfer_failed.reason.replace(/_/g, ' ') })}
        </p>
      ) : null}
      <div className="actions">
        {ringing && inbound ? (
          <>
            <button
              type="button"
              className="answer"
              onClick={() => void run({ action: 'answer', call_id: call.call_id })}
            >
              {t('answer')}
            </button>
            <button
              type="button"
              className="decline"
              onClick={() => void run({ action: 'decline', call_id: call.call_id })}
            >
              {t('decline')}
            </button>
          </>
        ) : ringing ? (
          <button
            type="button"
            className="decline"
            onClick={() => void run({ action: 'decline', call_id: call.call_id })}
          >
            {t('decline')}
          </button>
        ) : (
          <>
            <button
              type="button"
              className="decline"
              onClick={() => void run({ action: 'hangup', call_id: call.call_id })}
            >
              {t('hangUp')}
            </button>
            {call.recording !== 'off' ? (
              <button
                type="button"
                className="ghost"
                aria-pressed={call.recording === 'paused'}
                onClick={() =>
                  void run({
                    action: call.recording === 'on' ? 'pause_recording' : 'resume_recording',
                    call_id: call.call_id,
                  })
                }
              >
                {t(call.recording === 'on' ? 'pauseRecording' : 'resumeRecording')}
              </button>
            ) : null}
            <button
              type="button"
              className="ghost"
              aria-expanded={transferring}
              onClick={() => setTransferring((v) => !v)}
            >
              {t('transfer')}
            </button>
          </>
        )}
      </div>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {transferring && !ringing ? <TransferForm call={call} onDone={() => setTransferring(false)} /> : null}
      {!ringing ? <CommentForm callId={call.call_id} /> : null}
      {card ? <CallerDetails card={card} /> : null}
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
    <fieldset id="tags" className={`panel tags ${required ? 'required' : ''}`}>
      <legend>{t('tags')}</legend>
      {required ? (
        <p role="alert" className="warning">
          {t('tagBeforeNext')}
        </p>
      ) : null}
      <div className="chips">
        {tags.map((tag) => (
          <label key={tag.id} className={chosen.has(tag.id) ? 'chip on' : 'chip'}>
            <input
              type="checkbox"
              checked={chosen.has(tag.id)}
              onChange={(e) => {
                const next = new Set(chosen)
                if (e.target.checked) next.add(tag.id)
                else next.delete(tag.id)
                setChosen(next)
              }}
            />
            {tag.name}
          </label>
        ))}
      </div>
      <button type="button" className="primary" disabled={chosen.size === 0} onClick={() => void save()}>
        {t('saveTags')}
      </button>
      {message ? (
        <p role="status" className="muted small">
          {message}
        </p>
      ) : null}
    </fieldset>
  )
}

function Dialer({ state, user }: { state: ExtensionState; user: SignedInUser }) {
  const [to, setTo] = useState('')
  const [lineId, setLineId] = useState<number | null>(user.numbers[0]?.id ?? null)
  const id = useId()
  useEffect(() => {
    if (!state.prefill) return
    setTo(state.prefill.to)
    if (state.prefill.number_id !== null) setLineId(state.prefill.number_id)
  }, [state.prefill])
  const blocked = state.tag_required_call_id !== null || state.connection !== 'online'
  async function submit(event: FormEvent) {
    event.preventDefault()
    await send('dial', { to: to.trim(), number_id: lineId ?? undefined })
  }
  return (
    <form className="panel dialer" onSubmit={submit} aria-labelledby={`${id}-t`}>
      <h3 id={`${id}-t`}>{t('dialer')}</h3>
      <div className="dial-row">
        <label className="grow">
          <span className="sr-only">{t('numberToCall')}</span>
          <input
            id="dial-to"
            inputMode="tel"
            autoComplete="off"
            placeholder={t('numberToCall')}
            value={to}
            onChange={(e) => setTo(e.target.value)}
          />
        </label>
        <button
          type="submit"
          className="answer"
          disabled={blocked || to.trim().length < 3 || lineId === null}
        >
          {t('call')}
        </button>
      </div>
      {user.numbers.length > 1 ? (
        <label className="field">
          <span>{t('callFrom')}</span>
          <select id="dial-line" value={lineId ?? ''} onChange={(e) => setLineId(Number(e.target.value))}>
            {user.numbers.map((n) => (
              <option key={n.id} value={n.id}>
                {n.name} · {n.digits}
              </option>
            ))}
          </select>
        </label>
      ) : user.numbers[0] ? (
        <p className="muted small">
          {t('callFrom')} {user.numbers[0].name} · {user.numbers[0].digits}
        </p>
      ) : null}
    </form>
  )
}

function dialBack(to: string, numberId: number | null) {
  void send('dial', { to, number_id: numberId ?? undefined })
}

function RecentCalls({ calls, blocked }: { calls: AgentCall[]; blocked: boolean }) {
  return (
    <section className="panel" aria-labelledby="recent-title">
      <h3 id="recent-title">{t('recentCalls')}</h3>
      {calls.length === 0 ? <p className="muted small">{t('noRecentCalls')}</p> : null}
      <ul className="list" id="recent-calls">
        {calls.slice(0, 8).map((c) => (
          <li key={c.call_id}>
            <span className={`dir ${c.direction} ${c.answered_at ? '' : 'missed'}`} aria-hidden="true">
              {c.direction === 'inbound' ? '↙' : '↗'}
            </span>
            <span className="grow">
              <span className="mono">{c.external_number}</span>
              <span className="muted small">
                {' '}
                · {t(c.direction === 'inbound' ? 'inbound' : 'outbound')}
                {c.answered_at ? '' : ` · ${t(c.direction === 'inbound' ? 'missed' : 'unanswered')}`}
              </span>
            </span>
            {c.external_number !== 'anonymous' ? (
              <button
                type="button"
                className="icon"
                disabled={blocked}
                aria-label={`${t('callBack')} ${c.external_number}`}
                onClick={() => dialBack(c.external_number, c.number.id)}
              >
                ☎
              </button>
            ) : null}
          </li>
        ))}
      </ul>
    </section>
  )
}

function CallbackTasks({ refreshKey, blocked }: { refreshKey: unknown; blocked: boolean }) {
  const [tasks, setTasks] = useState<CallbackTaskSummary[] | null>(null)
  const [error, setError] = useState<string | null>(null)
  const load = () =>
    void send('callback-tasks', {}).then((r) => {
      if (r.ok) {
        setTasks(r.tasks)
        setError(null)
      } else setError(r.message)
    })
  useEffect(load, [refreshKey])
  return (
    <section className="panel" aria-labelledby="callbacks-title">
      <h3 id="callbacks-title">{t('callbackTasks')}</h3>
      {error ? <p className="error small">{error}</p> : null}
      {tasks?.length === 0 ? <p className="muted small">{t('noCallbackTasks')}</p> : null}
      <ul className="list" id="callback-tasks">
        {tasks?.map((task) => (
          <li key={task.id}>
            <span className="grow">
              <span className="mono">{task.phone_number}</span>
              <span className="muted small">
                {task.number_name ? ` · ${task.number_name}` : ''} ·{' '}
                {t('minutesAgo', {
                  n: String(Math.max(0, Math.round((Date.now() / 1000 - task.created_at) / 60))),
                })}
              </span>
            </span>
            <button
              type="button"
              className="icon"
              disabled={blocked}
              aria-label={`${t('callBack')} ${task.phone_number}`}
              onClick={() => dialBack(task.phone_number, task.number_id)}
            >
              ☎
            </button>
            <button
              type="button"
              className="icon"
              aria-label={`${t('done')}: ${task.phone_number}`}
              onClick={() => void send('callback-done', { id: task.id }).then(load)}
            >
              ✓
            </button>
          </li>
        ))}
      </ul>
    </section>
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
    <p
      id="dial-progress"
      className={dial.state === 'failed' ? 'error' : 'hint'}
      role={dial.state === 'failed' ? 'alert' : 'status'}
    >
      {text}
    </p>
  )
}

function SidePanel() {
  const state = useExtensionState()
  if (!state.user)
    return (
      <main className="app signed-out">
        <p>{state.error?.message ?? t('signedOut')}</p>
        <button type="button" className="primary" onClick={() => void chrome.runtime.openOptionsPage()}>
          {t('openOptions')}
        </button>
      </main>
    )
  const tagCall = state.call?.status === 'answered' ? state.call : state.call ? null : state.last_call
  const blocked = state.tag_required_call_id !== null || state.connection !== 'online'
  return (
    <main className="app">
      <Header state={state} user={state.user} />
      {state.dial && !state.call ? <DialProgress dial={state.dial} /> : null}
      {state.call ? <CallView state={state} call={state.call} /> : null}
      {tagCall ? (
        <TagPanel callId={tagCall.call_id} required={state.tag_required_call_id === tagCall.call_id} />
      ) : null}
      {!state.call ? (
        <>
          {state.last_call ? (
            <p id="last-call" className="muted small">
              {t('callEnded')}: <span className="mono">{state.last_call.external_number}</span>
            </p>
          ) : null}
          <Dialer state={state} user={state.user} />
          <CallbackTasks
            refreshKey={`${state.last_call?.call_id}:${state.callbacks_seen}`}
            blocked={blocked}
          />
          <RecentCalls calls={state.recent_calls} blocked={blocked} />
        </>
      ) : null}
    </main>
  )
}

export default SidePanel
