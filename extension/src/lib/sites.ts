/**
 * Where click-to-call runs. The CRMs' own hosts are on unless the agent blocked them; any other
 * site only once the agent allowed it (extension options). A blocked entry always wins.
 * Entries are host names; `example.com` also covers its subdomains (`app.example.com`).
 * No zod here: the content script imports this and must stay small.
 */
export type SiteLists = { allowed: string[]; blocked: string[] }

/** HubSpot, Salesforce Lightning / Classic, Zendesk agent workspace, Dynamics 365. */
export const CRM_HOSTS = [
  'hubspot.com',
  'lightning.force.com',
  'my.salesforce.com',
  'salesforce.com',
  'zendesk.com',
  'dynamics.com',
] as const

function covers(entry: string, hostname: string): boolean {
  const e = entry.trim().toLowerCase().replace(/^\*\./, '').replace(/\.$/, '')
  if (!e) return false
  return hostname === e || hostname.endsWith(`.${e}`)
}

export function siteEnabled(hostname: string, lists: SiteLists): boolean {
  const host = hostname.toLowerCase()
  if (lists.blocked.some((e) => covers(e, host))) return false
  return CRM_HOSTS.some((e) => covers(e, host)) || lists.allowed.some((e) => covers(e, host))
}

/** Stored lists as far as they can be trusted (storage is ours, but older versions may differ). */
export function siteListsOf(stored: unknown): SiteLists {
  const value = (stored ?? {}) as { allowed?: unknown; blocked?: unknown }
  const strings = (v: unknown) =>
    Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
  return { allowed: strings(value.allowed), blocked: strings(value.blocked) }
}
