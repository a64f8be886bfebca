import { type FormEvent, useState } from 'react'
import { SiteLists } from './components/site-lists.tsx'
import { t } from './lib/i18n.ts'
import { send } from './lib/messages.ts'
import { useExtensionState } from './lib/use-extension-state.ts'
import './sidepanel.css'

function OptionsPage() {
  const state = useExtensionState()
  const [hubUrl, setHubUrl] = useState('')
  const [email, setEmail] = useState('')
  const [password, setPassword] = useState('')
  const [token, setToken] = useState('')
  const [busy, setBusy] = useState(false)
  const [message, setMessage] = useState<{ kind: 'error' | 'ok'; text: string } | null>(null)

  async function submit(event: FormEvent) {
    event.preventDefault()
    setBusy(true)
    setMessage(null)
    const body = token.trim() ? { hub_url: hubUrl, token } : { hub_url: hubUrl, email, password }
    const result = await send('sign-in', body)
    setBusy(false)
    setPassword('')
    setToken('')
    setMessage(
      result.ok
        ? { kind: 'ok', text: t('signedInAs', { name: result.user.name }) }
        : { kind: 'error', text: result.message },
    )
  }

  async function signOut() {
    setBusy(true)
    await send('sign-out', {})
    setBusy(false)
    setMessage(null)
  }

  return (
    <main className="app options">
      <h1 className="brand">{t('appName')}</h1>
      {state.user ? (
        <section className="panel" aria-labelledby="signed-in">
          <p id="signed-in" role="status">
            {t('signedInAs', { name: state.user.name })} <span className="muted">({state.user.email})</span>
          </p>
          <button type="button" className="ghost" onClick={signOut} disabled={busy}>
            {t('signOut')}
          </button>
        </section>
      ) : (
        <form onSubmit={submit} aria-busy={busy} className="panel">
          <label className="field">
            {t('hubUrl')}
            <input
              type="url"
              required
              placeholder="https://hub.example.com"
              value={hubUrl}
              onChange={(e) => setHubUrl(e.target.value)}
            />
          </label>
          <label className="field">
            {t('email')}
            <input
              type="email"
              autoComplete="username"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </label>
          <label className="field">
            {t('password')}
            <input
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </label>
          <details>
            <summary className="small">{t('orToken')}</summary>
            <label className="field">
              {t('agentToken')}
              <input type="password" value={token} onChange={(e) => setToken(e.target.value)} />
            </label>
          </details>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? t('signingIn') : t('signIn')}
          </button>
        </form>
      )}
      {message ? (
        <p
          id="status"
          role={message.kind === 'error' ? 'alert' : 'status'}
          className={message.kind === 'error' ? 'error' : 'hint'}
        >
          {message.text}
        </p>
      ) : state.error && !state.user ? (
        <p id="status" role="alert" className="error">
          {state.error.message}
        </p>
      ) : null}
      <SiteLists />
    </main>
  )
}

export default OptionsPage
