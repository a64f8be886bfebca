import type { AgentCall, CallerCard, CallerRecord } from '@switchboard/shared'
import { useEffect, useState } from 'react'
import { type MessageKey, t } from '../lib/i18n.ts'

const CRM_NAMES: Record<CallerRecord['crm'], string> = {
  hubspot: 'HubSpot',
  salesforce: 'Salesforce',
  zendesk: 'Zendesk',
  dynamics: 'Dynamics 365',
}

const OUTCOMES: Record<string, MessageKey> = {
  answered: 'answered',
  missed: 'missed',
  voicemail: 'voicemail',
  unanswered: 'unanswered',
}

/** Screen-pop: the record replaces the agent's current tab, or opens in a new one. */
async function openRecord(url: string, newTab: boolean) {
  if (!newTab) {
    const [tab] = await chrome.tabs.query({ active: true, lastFocusedWindow: true })
    if (tab?.id !== undefined && !tab.url?.startsWith(chrome.runtime.getURL(''))) {
      await chrome.tabs.update(tab.id, { url })
      return
    }
  }
  await chrome.tabs.create({ url })
}

/** "HH:MM" now at a UTC offset, ticking each minute (the card's own time is when it was made). */
function useLocalTime(offsetMinutes: number | null, fallback: string | null): string | null {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 30_000)
    return () => clearInterval(timer)
  }, [])
  if (offsetMinutes === null) return fallback
  const there = new Date(now + offsetMinutes * 60_000)
  return `${String(there.getUTCHours()).padStart(2, '0')}:${String(there.getUTCMinutes()).padStart(2, '0')}`
}

function placeOf(card: CallerCard): string | null {
  const location = card.location
  if (!location) return null
  return location.place ?? location.time_zone?.split('/').pop()?.replace(/_/g, ' ') ?? null
}

const timeAgo = (unixSeconds: number) => {
  const minutes = Math.max(0, Math.round((Date.now() / 1000 - unixSeconds) / 60))
  if (minutes < 60) return t('minutesAgo', { n: String(minutes) })
  return new Date(unixSeconds * 1000).toLocaleString(navigator.language, {
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
  })
}

const duration = (seconds: number) => `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`

/** The caller's identity block at the top of the call: name, company, number. */
export function CallerHeading({ call, card }: { call: AgentCall; card: CallerCard | null }) {
  const name = card?.name ?? null
  // An outbound call to someone unknown is titled by its number, shown once.
  const title = name ?? (call.direction === 'inbound' ? t('unknownCaller') : null)
  return (
    <div className="caller">
      <div className="avatar" aria-hidden="true">
        {(name ?? '#').trim().charAt(0).toUpperCase()}
      </div>
      <div className="caller-text">
        {title ? (
          <>
            <h2 id="caller-name">{title}</h2>
            {card?.company ? <p id="caller-company">{card.company}</p> : null}
            <p id="call-external-number" className="mono">
              {call.external_number}
            </p>
          </>
        ) : (
          <h2 id="call-external-number" className="mono">
            {call.external_number}
          </h2>
        )}
      </div>
    </div>
  )
}

/** Everything the hub knows about the caller: CRM records, owner, recent calls, weather and time. */
export function CallerDetails({ card }: { card: CallerCard }) {
  const place = placeOf(card)
  const localTime = useLocalTime(card.location?.utc_offset_minutes ?? null, card.location?.local_time ?? null)
  const owner = card.records.find((r) => r.owner)?.owner ?? null
  return (
    <div id="caller-card" className="details">
      {place && (card.weather || localTime) ? (
        <div className="area" id="caller-area">
          {card.weather ? (
            <p>
              <span className="label">{t('weatherIn', { place })}</span>
              <span className="value">
                {Math.round(card.weather.temperature_c)} °C · {card.weather.conditions}
              </span>
            </p>
          ) : null}
          {localTime ? (
            <p>
              <span className="label">{t('localTime', { place })}</span>
              <span className="value mono">{localTime}</span>
            </p>
          ) : null}
        </div>
      ) : null}
      {owner ? (
        <p className="row">
          <span className="label">{t('owner')}</span>
          <span>{owner}</span>
        </p>
      ) : null}
      {card.records.length > 0 ? (
        <section aria-label={t('crmRecords')}>
          <h3>{t('crmRecords')}</h3>
          <ul className="records">
            {card.records.map((r) => (
              <li key={`${r.integration_id}:${r.id}`}>
                <div>
                  <strong>{r.name}</strong>
                  <span className="muted">
                    {' '}
                    · {r.integration_name}
                    {r.company ? ` · ${r.company}` : ''}
                  </span>
                </div>
                {r.url ? (
                  <div className="record-actions">
                    <button
                      type="button"
                      className="link"
                      onClick={() => void openRecord(r.url as string, false)}
                    >
                      {t('openInCrm', { crm: CRM_NAMES[r.crm] })}
                    </button>
                    <button
                      type="button"
                      className="icon"
                      aria-label={t('openInNewTab', { name: r.name, crm: CRM_NAMES[r.crm] })}
                      title={t('openInNewTab', { name: r.name, crm: CRM_NAMES[r.crm] })}
                      onClick={() => void openRecord(r.url as string, true)}
                    >
                      ↗
                    </button>
                  </div>
                ) : null}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {card.sources
        .filter((s) => !s.ok)
        .map((s) => (
          <p key={s.integration_id} className="muted small">
            {t('crmUnavailable', { crm: CRM_NAMES[s.crm], error: s.error ?? '' })}
          </p>
        ))}
      {card.recent_calls.length > 0 ? (
        <section aria-label={t('recentCalls')}>
          <h3>{t('recentCalls')}</h3>
          <ul className="history">
            {card.recent_calls.slice(0, 5).map((c) => (
              <li key={c.id}>
                <span className={`dot ${c.outcome}`} aria-hidden="true" />
                <span>
                  {t(c.direction === 'inbound' ? 'inbound' : 'outbound')} ·{' '}
                  {t(OUTCOMES[c.outcome] ?? 'answered')}
                  {c.user_name ? ` · ${c.user_name}` : ''}
                </span>
                <span className="muted">
                  {c.duration ? `${duration(c.duration)} · ` : ''}
                  {timeAgo(c.started_at)}
                </span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  )
}
