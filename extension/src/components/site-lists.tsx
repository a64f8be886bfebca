import {
  defaultSiteSettings,
  SITE_SETTINGS_KEY,
  type SiteSettings,
  siteSettingsSchema,
} from '@switchboard/shared/extension-messages'
import { type FormEvent, useEffect, useId, useState } from 'react'
import { t } from '../lib/i18n.ts'
import { CRM_HOSTS } from '../lib/sites.ts'

/** Where click-to-call runs: the allowed and blocked sites, in `storage.local` (content scripts read it). */
export function SiteLists() {
  const [lists, setLists] = useState<SiteSettings>(defaultSiteSettings)
  useEffect(() => {
    void chrome.storage.local.get(SITE_SETTINGS_KEY).then((v) => {
      const parsed = siteSettingsSchema.safeParse(v[SITE_SETTINGS_KEY])
      if (parsed.success) setLists(parsed.data)
    })
  }, [])
  async function save(next: SiteSettings) {
    const parsed = siteSettingsSchema.safeParse(next)
    if (!parsed.success) return false
    setLists(parsed.data)
    await chrome.storage.local.set({ [SITE_SETTINGS_KEY]: parsed.data })
    return true
  }
  return (
    <section className="panel" aria-labelledby="sites-title">
      <h3 id="sites-title">{t('sites')}</h3>
      <p className="muted small">{t('sitesHelp')}</p>
      <p className="muted small mono">{CRM_HOSTS.join(' · ')}</p>
      <SiteList kind="allowed" sites={lists.allowed} onChange={(allowed) => save({ ...lists, allowed })} />
      <SiteList kind="blocked" sites={lists.blocked} onChange={(blocked) => save({ ...lists, blocked })} />
    </section>
  )
}

function SiteList({
  kind,
  sites,
  onChange,
}: {
  kind: 'allowed' | 'blocked'
  sites: string[]
  onChange: (sites: string[]) => Promise<boolean>
}) {
  const [draft, setDraft] = useState('')
  const [invalid, setInvalid] = useState(false)
  const id = useId()
  async function add(event: FormEvent) {
    event.preventDefault()
    const host = draft
      .trim()
      .toLowerCase()
      .replace(/^https?:\/\//, '')
      .replace(/[/:].*$/, '')
    if (!host) return
    const ok = await onChange([...new Set([...sites, host])])
    setInvalid(!ok)
    if (ok) setDraft('')
  }
  const label = t(kind === 'allowed' ? 'allowedSites' : 'blockedSites')
  return (
    <form onSubmit={add} className="site-list" aria-labelledby={`${id}-l`}>
      <label id={`${id}-l`} htmlFor={`${id}-i`} className="field">
        <span>{label}</span>
      </label>
      <ul className="chips" aria-label={label}>
        {sites.map((site) => (
          <li key={site} className="chip on">
            {site}
            <button
              type="button"
              className="remove"
              aria-label={t('remove', { site })}
              onClick={() => void onChange(sites.filter((s) => s !== site))}
            >
              ×
            </button>
          </li>
        ))}
      </ul>
      <div className="dial-row">
        <input
          id={`${id}-i`}
          value={draft}
          placeholder={t('siteHost')}
          aria-invalid={invalid}
          onChange={(e) => setDraft(e.target.value)}
        />
        <button type="submit" className="ghost">
          {t('add')}
        </button>
      </div>
    </form>
  )
}
