import { type FormEvent, useState } from 'react'
import { t } from './lib/i18n.ts'
import { send } from './lib/messages.ts'
import { useExtensionState } from './lib/use-extension-state.ts'

const field = { display: 'flex', flexDirection: 'column', gap: 4, marginBottom: 12 } as const

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
    <main style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 420, margin: '24px auto', fontSize: 14 }}>
      <h1 style={{ fontSize: 20 }}>{t('appName')}</h1>
      {state.user ? (
        <section aria-labelledby="signed-in">
          <p id="signed-in" role="status">
            {t('signedInAs', { name: state.user.name })} ({state.user.email})
          </p>
          <button type="button" onClick={signOut} disabled={busy}>
            {t('signOut')}
          </button>
        </section>
      ) : (
        <form onSubmit={submit} aria-busy={busy}>
          <label style={field}>
            {t('hubUrl')}
            <input
              type="url"
              required
              placeholder="https://hub.example.com"
              value={hubUrl}
              onChange={(e) => setHubUrl(e.target.value)}
            />
          </label>
          <label style={field}>
            {t('email')}
            <input
              type="email"
              autoComplete="username"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </label>
          <label style={field}>
            {t('password')}
            <input
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </label>
          <details>
            <summary>{t('orToken')}</summary>
            <label style={field}>
              {t('agentToken')}
              <input type="password" value={token} onChange={(e) => setToken(e.target.value)} />
            </label>
          </details>
          <button type="submit" disabled={busy}>
            {busy ? t('signingIn') : t('signIn')}
          </button>
        </form>
      )}
      {message ? (
        <p id="status" role={message.kind === 'error' ? 'alert' : 'status'} className={message.kind}>
          {message.text}
        </p>
      ) : state.error && !state.user ? (
        <p id="status" role="alert" className="error">
          {state.error.message}
        </p>
      ) : null}
    </main>
  )
}

export default OptionsPage
