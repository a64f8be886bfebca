import { DomainError } from '../../core/errors.ts'
import type { RekeyResult } from '../../services/integrations/rekey.ts'
import type { HubApi } from '../hub-api.ts'

/**
 * `sb integrations…` and `sb crm:activities`: the integrations API as an admin (company API
 * key) drives it, from a terminal:
 *   GET  /v1/integrations                      sb integrations
 *   POST /v1/integrations                      sb integrations:create <kind> <name> [--sandbox]
 *   POST /v1/integrations/:id/connect          sb integrations:connect <id> [--approve]
 *   POST /v1/integrations/:id/numbers          sb integrations:link <id> <number id…>
 *   GET  /v1/integrations/:id/sandbox/activities   sb crm:activities <id>
 * `sb integrations:rekey` works on the database (sb.ts), not through the API.
 */

/** The fields of an integration the commands print. */
export type IntegrationLine = {
  id: number
  kind: string
  name: string
  status: string
  active: boolean
  sandbox: boolean
  number_ids: number[]
  health: { last_error: string | null; pending: number; failed: number }
}

function field<T>(body: unknown, key: string): T {
  const v = typeof body === 'object' && body !== null ? Reflect.get(body, key) : undefined
  if (v === undefined) throw new Error(`the hub answered without "${key}"`)
  return v as T // the hub's documented answer (OpenAPI), read for printing only
}

export async function listIntegrationLines(api: HubApi): Promise<IntegrationLine[]> {
  const out: IntegrationLine[] = []
  for (let page = 1; ; page++) {
    const body = (await api.request('GET', `/v1/integrations?per_page=50&page=${page}`)).body
    const items = field<IntegrationLine[]>(body, 'integrations')
    out.push(...items)
    if (!field<{ next_page_link: string | null }>(body, 'meta').next_page_link) return out
  }
}

export function formatIntegrations(items: IntegrationLine[]): string[] {
  if (items.length === 0)
    return ['No integration yet. Add one: sb integrations:create hubspot "Sales" --sandbox']
  return items.map((i) => {
    const flags = [i.sandbox ? 'sandbox' : null, i.active ? null : 'disabled'].filter(Boolean).join(', ')
    const health = i.health.last_error ? `  last error: ${i.health.last_error}` : ''
    return `${i.id}  ${i.kind}  "${i.name}"  ${i.status}${flags ? ` (${flags})` : ''}  numbers: ${
      i.number_ids.join(', ') || '-'
    }  pending: ${i.health.pending}  failed: ${i.health.failed}${health}`
  })
}

export async function createIntegrationCommand(
  api: HubApi,
  input: { kind: string; name: string; sandbox: boolean; subdomain?: string; instance_url?: string },
): Promise<IntegrationLine> {
  const body = (await api.request('POST', '/v1/integrations', input)).body
  return field<IntegrationLine>(body, 'integration')
}

export type ConnectOutcome = {
  authorizeUrl: string
  approved: { ok: boolean; title: string; text: string } | null
}

const pageText = (html: string) => {
  const title = html.match(/<h1>([\s\S]*?)<\/h1>/)?.[1] ?? ''
  const text = html.match(/<p>([\s\S]*?)<\/p>/)?.[1] ?? ''
  const plain = (s: string) =>
    s
      .replace(/<[^>]+>/g, '')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&')
  return { title: plain(title), text: plain(text) }
}

/**
 * Starts the connection; with `approve` (sandbox integrations only) also answers the sandbox
 * consent page as the admin's browser would — Allow, then the redirect to the callback — so the
 * whole OAuth exchange runs.
 */
export async function connectIntegration(api: HubApi, id: number, approve: boolean): Promise<ConnectOutcome> {
  const authorizeUrl = field<string>(
    (await api.request('POST', `/v1/integrations/${id}/connect`)).body,
    'authorize_url',
  )
  if (!approve) return { authorizeUrl, approved: null }
  const url = new URL(authorizeUrl)
  if (!url.pathname.endsWith('/v1/integrations/sandbox/authorize'))
    throw new DomainError(
      'bad_request',
      '--approve works for sandbox integrations only: open the URL in a browser',
    )
  const form = new URLSearchParams({ state: url.searchParams.get('state') ?? '', decision: 'allow' })
  const challenge = url.searchParams.get('code_challenge')
  if (challenge) form.set('code_challenge', challenge)
  // The consent page and the callback are this hub's own pages: reach them where sb reaches the
  // hub (--hub), which may differ from the PUBLIC_URL they were built with (a proxy in front).
  const onHub = (u: URL) => `${api.base}${u.pathname}${u.search}`
  const consent = await fetch(onHub(new URL(url.pathname, url)), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: form,
    redirect: 'manual',
  })
  const location = consent.headers.get('location')
  await consent.body?.cancel()
  if (consent.status !== 302 || !location)
    throw new DomainError('unavailable', `the consent page answered ${consent.status}`)
  const done = await fetch(onHub(new URL(location)))
  const { title, text } = pageText(await done.text())
  return { authorizeUrl, approved: { ok: done.ok, title, text } }
}

export async function linkNumbersCommand(
  api: HubApi,
  id: number,
  numberIds: number[],
): Promise<IntegrationLine> {
  const body = (await api.request('POST', `/v1/integrations/${id}/numbers`, { number_ids: numberIds })).body
  return field<IntegrationLine>(body, 'integration')
}

export type SandboxItem = {
  type: string
  id: string
  created_at: string | null
  properties: Record<string, unknown>
}

export async function sandboxActivitiesCommand(
  api: HubApi,
  id: number,
): Promise<{ activities: SandboxItem[]; records: SandboxItem[] }> {
  const body = (await api.request('GET', `/v1/integrations/${id}/sandbox/activities`)).body
  return { activities: field(body, 'activities'), records: field(body, 'records') }
}

export function formatActivities(got: { activities: SandboxItem[]; records: SandboxItem[] }): string[] {
  const lines: string[] = []
  if (got.activities.length === 0) lines.push('The sandbox CRM has received no activity yet.')
  for (const a of got.activities) {
    lines.push(`${a.type} ${a.id}  (${a.created_at ?? '-'})`)
    for (const [k, v] of Object.entries(a.properties)) {
      if (v === null || v === undefined || v === '') continue
      const text = typeof v === 'string' ? v : JSON.stringify(v)
      lines.push(`    ${k}: ${text.length > 200 ? `${text.slice(0, 197)}...` : text}`)
    }
  }
  if (got.records.length > 0) {
    lines.push('', `Records (${got.records.length}):`)
    for (const r of got.records) lines.push(`  ${r.type} ${r.id}`)
  }
  return lines
}

export function formatRekey(r: RekeyResult): string[] {
  const lines = [`Checked ${r.checked} sealed value(s); re-sealed ${r.resealed} with the current key.`]
  if (r.unreadable.length > 0)
    lines.push(
      `Integrations whose tokens open with no key of the ring (reconnect them): ${r.unreadable.join(', ')}`,
    )
  else
    lines.push(
      'Every token is sealed with the current key: older keys can now be removed from CRM_TOKEN_KEYS.',
    )
  return lines
}
