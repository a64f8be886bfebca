import { describe, expect, it } from 'vitest'
import { siteEnabled, siteListsOf } from './sites.ts'

const none = { allowed: [], blocked: [] }

describe('where click-to-call runs', () => {
  it('runs on the CRMs out of the box, and nowhere else until the agent allows the site', () => {
    expect(siteEnabled('app-eu1.hubspot.com', none)).toBe(true)
    expect(siteEnabled('acme.lightning.force.com', none)).toBe(true)
    expect(siteEnabled('acme.my.salesforce.com', none)).toBe(true)
    expect(siteEnabled('acme.zendesk.com', none)).toBe(true)
    expect(siteEnabled('acme.crm4.dynamics.com', none)).toBe(true)
    expect(siteEnabled('news.example.com', none)).toBe(false)
    // A look-alike host is not the CRM.
    expect(siteEnabled('hubspot.com.evil.example', none)).toBe(false)
    expect(siteEnabled('nothubspot.com', none)).toBe(false)
  })

  it('allows a site with its subdomains, and a blocked entry beats both lists', () => {
    const lists = {
      allowed: ['intranet.example', '*.crm.example'],
      blocked: ['acme.zendesk.com', 'old.crm.example'],
    }
    expect(siteEnabled('intranet.example', lists)).toBe(true)
    expect(siteEnabled('eu.crm.example', lists)).toBe(true)
    expect(siteEnabled('old.crm.example', lists)).toBe(false)
    expect(siteEnabled('acme.zendesk.com', lists)).toBe(false)
    expect(siteEnabled('other.zendesk.com', lists)).toBe(true)
  })

  it('reads only the string entries of what is stored', () => {
    expect(siteListsOf({ allowed: ['a.example', 3], blocked: 'x' })).toEqual({
      allowed: ['a.example'],
      blocked: [],
    })
    expect(siteListsOf(undefined)).toEqual(none)
  })
})
