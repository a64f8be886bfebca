import { connectorSettingsSchema } from '@switchboard/connectors'
import { describe, expect, it } from 'vitest'
import {
  applySettingsUpdate,
  connectorSettingsOf,
  defaultIntegrationSettings,
  integrationSettings,
  tagMapByName,
  toSettingsJson,
} from './settings.ts'

describe('integrationSettings', () => {
  it('fills every default for an empty row: every call type logged when it ends, no creation', () => {
    const s = integrationSettings({ settings: {} })
    expect(s.log).toEqual({
      inbound_answered: 'completed',
      inbound_missed: 'completed',
      inbound_voicemail: 'completed',
      outbound_answered: 'completed',
      outbound_unanswered: 'completed',
    })
    expect(s.unknownNumber).toBe('nothing')
    expect(s.businessHoursOnly).toBe(false)
    expect(s).toEqual(defaultIntegrationSettings())
  })

  it('keeps the valid fields of a broken document and defaults the broken ones', () => {
    const s = integrationSettings({
      settings: { unknownNumber: 'lead', businessHoursOnly: 'yes', log: { inbound_missed: 'off' } },
    })
    expect(s.unknownNumber).toBe('lead')
    expect(s.businessHoursOnly).toBe(false)
    expect(s.log.inbound_missed).toBe('off')
    expect(s.log.inbound_answered).toBe('completed')
  })

  it('hands the connector only its own settings, which its schema accepts', () => {
    const s = integrationSettings({ settings: { tagOutcomes: { Won: 'x' }, businessHoursOnly: true } })
    const c = connectorSettingsOf(s)
    expect(c).not.toHaveProperty('log')
    expect(c).not.toHaveProperty('businessHoursOnly')
    expect(connectorSettingsSchema.parse(c).tagOutcomes).toEqual({ Won: 'x' })
  })
})

describe('applySettingsUpdate', () => {
  it('changes only the given fields, call type by call type', () => {
    const start = defaultIntegrationSettings()
    const r = applySettingsUpdate('salesforce', start, {
      call_types: {
        inbound_missed: { log: 'off' },
        outbound_answered: { outcome: 'Reached', task_status: 'Done' },
      },
      unknown_number: 'lead',
    })
    if (!r.ok) throw new Error(r.message)
    const json = toSettingsJson(r.settings)
    expect(json.call_types.inbound_missed).toEqual({ log: 'off', outcome: null, task_status: null })
    expect(json.call_types.outbound_answered).toEqual({
      log: 'completed',
      outcome: 'Reached',
      task_status: 'Done',
    })
    expect(json.unknown_number).toBe('lead')
    const cleared = applySettingsUpdate('salesforce', r.settings, {
      call_types: { outbound_answered: { outcome: null } },
    })
    if (!cleared.ok) throw new Error(cleared.message)
    expect(toSettingsJson(cleared.settings).call_types.outbound_answered.outcome).toBeNull()
    expect(toSettingsJson(cleared.settings).call_types.outbound_answered.task_status).toBe('Done')
  })

  it('refuses a policy the CRM cannot follow (HubSpot knows only contacts)', () => {
    const r = applySettingsUpdate('hubspot', defaultIntegrationSettings(), { unknown_number: 'lead' })
    expect(r).toMatchObject({ ok: false, field: 'unknown_number' })
    expect(
      applySettingsUpdate('hubspot', defaultIntegrationSettings(), { unknown_number: 'contact' }).ok,
    ).toBe(true)
  })
})

describe('tagMapByName', () => {
  it('turns tag ids into names, a name key winning, deleted tags dropped', () => {
    const tags = [
      { id: 7, name: 'Won' },
      { id: 8, name: 'Lost' },
    ]
    expect(tagMapByName({ '7': 'a', Lost: 'b', '8': 'c', '99': 'd', Other: 'e' }, tags)).toEqual({
      Won: 'a',
      Lost: 'b',
      Other: 'e',
    })
  })
})
