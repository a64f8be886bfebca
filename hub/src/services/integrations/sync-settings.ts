import type { ConnectorSettingsInput } from '@switchboard/connectors'
import { type CallKind, callKinds } from '@switchboard/shared'
import { z } from 'zod'

/**
 * What the sync reads of an integration's `settings` (snake_case, as the Integrations API
 * stores them): per call type whether to log it as completed, in progress (created while the
 * call runs, then completed) or not at all; what to do with an unknown number; whether to log
 * only calls that came in or went out while the number was open; tag → outcome / call type.
 * Tolerant on purpose: an unknown or malformed value falls back to its default, so a settings
 * row written by a newer release never stops the sync.
 */
const logMode = z.enum(['completed', 'in_progress', 'off'])
export type LogMode = z.infer<typeof logMode>

const stringMap = z.record(z.string(), z.string())

export type SyncSettings = {
  callTypes: Record<CallKind, LogMode>
  unknownNumber: 'nothing' | 'contact' | 'lead' | 'account'
  businessHoursOnly: boolean
  tagOutcomes: Record<string, string>
  tagCallTypes: Record<string, string>
}

function pick<T>(schema: z.ZodType<T>, value: unknown, fallback: T): T {
  const parsed = schema.safeParse(value)
  return parsed.success ? parsed.data : fallback
}

export function syncSettings(raw: Record<string, unknown> | null | undefined): SyncSettings {
  const s = raw ?? {}
  const types = (typeof s.call_types === 'object' && s.call_types !== null ? s.call_types : {}) as Record<
    string,
    unknown
  >
  const callTypes = Object.fromEntries(
    callKinds.map((kind) => [
      kind,
      pick(logMode, (types[kind] as { log?: unknown } | undefined)?.log, 'completed'),
    ]),
  ) as Record<CallKind, LogMode>
  return {
    callTypes,
    unknownNumber: pick(z.enum(['nothing', 'contact', 'lead', 'account']), s.unknown_number, 'nothing'),
    businessHoursOnly: pick(z.boolean(), s.business_hours_only, false),
    tagOutcomes: pick(stringMap, s.tag_outcomes, {}),
    tagCallTypes: pick(stringMap, s.tag_call_types, {}),
  }
}

/** The connector's own settings (camelCase) from the stored ones. */
export function connectorSettingsOf(raw: Record<string, unknown> | null | undefined): ConnectorSettingsInput {
  const s = syncSettings(raw)
  const extra = raw ?? {}
  return {
    unknownNumber: s.unknownNumber,
    tagOutcomes: s.tagOutcomes,
    tagCallTypes: s.tagCallTypes,
    // Outcomes per call type and Salesforce task statuses pass through when present.
    ...(typeof extra.outcomes === 'object' && extra.outcomes !== null
      ? { outcomes: extra.outcomes as ConnectorSettingsInput['outcomes'] }
      : {}),
    ...(typeof extra.task_status === 'object' && extra.task_status !== null
      ? { taskStatus: extra.task_status as ConnectorSettingsInput['taskStatus'] }
      : {}),
  }
}
