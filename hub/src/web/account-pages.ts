import { Hono } from 'hono'

/**
 * The two pages the invitation and password-reset emails link to. They are plain HTML forms
 * that call the public /v1/auth endpoints, so a new user can act on the email before the
 * admin dashboard exists. The token stays in the page (read from the URL by the script) and
 * is sent only to this hub.
 */
type PageSpec = { title: string; intro: string; endpoint: string; button: string; withName: boolean }

const pages: Record<'invite' | 'reset', PageSpec> = {
  invite: {
    title: 'Join your team on Switchboard',
    intro: 'Choose your password to accept the invitation.',
    endpoint: '/v1/auth/invitations/accept',
    button: 'Accept the invitation',
    withName: true,
  },
  reset: {
    title: 'Choose a new password',
    intro: 'This signs you out everywhere else.',
    endpoint: '/v1/auth/password/reset',
    button: 'Set the new password',
    withName: false,
  },
}

function render(spec: PageSpec): string {
  const nameFields = spec.withName
    ? `<label>First name <input name="first_name" autocomplete="given-name"></label>
<label>Last name <input name="last_name" autocomplete="family-name"></label>`
    : ''
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${spec.title} · Switchboard</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;background:#f4f6fb;margin:0;display:grid;place-items:center;min-height:100vh}
main{background:#fff;padding:2rem 2.5rem;border-radius:12px;box-shadow:0 2px 12px #0001;width:min(26rem,90vw)}
h1{font-size:1.4rem;margin:0 0 .25rem}p{color:#555;margin:.25rem 0 1.25rem}
label{display:block;margin:.75rem 0;font-weight:600}input{display:block;width:100%;box-sizing:border-box;padding:.55rem;margin-top:.25rem;border:1px solid #ccd;border-radius:6px;font:inherit}
button{margin-top:1rem;width:100%;padding:.7rem;border:0;border-radius:6px;background:#1f6feb;color:#fff;font:inherit;font-weight:600;cursor:pointer}
#status{margin-top:1rem;min-height:1.5rem}.error{color:#b42318}.ok{color:#067647}
</style></head>
<body><main>
<h1>${spec.title}</h1><p>${spec.intro}</p>
<form id="form">
${nameFields}
<label>Password <input name="password" type="password" minlength="10" required autocomplete="new-password"></label>
<label>Confirm password <input name="confirm" type="password" minlength="10" required autocomplete="new-password"></label>
<button type="submit">${spec.button}</button>
</form>
<div id="status" role="status"></div>
</main>
<script>
const token = new URLSearchParams(location.search).get('token') || ''
const form = document.getElementById('form')
const status = document.getElementById('status')
const say = (text, cls) => { status.textContent = text; status.className = cls }
if (!token) { say('This link is incomplete: open the link from your email again.', 'error'); form.hidden = true }
form.addEventListener('submit', async (event) => {
  event.preventDefault()
  const data = Object.fromEntries(new FormData(form))
  if (data.password !== data.confirm) return say('The two passwords differ.', 'error')
  const body = { token, password: data.password }
  if (data.first_name) body.first_name = data.first_name
  if (data.last_name) body.last_name = data.last_name
  say('…', '')
  const res = await fetch(${JSON.stringify(spec.endpoint)}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const answer = await res.json().catch(() => ({}))
  if (res.ok) { form.hidden = true; return say('Done. You can now sign in to Switchboard with your email and this password.', 'ok') }
  say(answer.message || 'Something went wrong; try the link again.', 'error')
})
</script>
</body></html>`
}

export function createAccountPages() {
  const html = { invite: render(pages.invite), reset: render(pages.reset) }
  const headers = { 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }
  return new Hono()
    .get('/invitations/accept', (c) => c.html(html.invite, 200, headers))
    .get('/password/reset', (c) => c.html(html.reset, 200, headers))
}
