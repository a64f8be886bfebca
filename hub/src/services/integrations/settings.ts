import { z } from '@hono/zod-openapi'
import { type ConnectorSettingsInput, connectorSettingsSchema } from '@switchboard/connectors'
import { type CallKind, callKinds } from '@switchboard/shared'
import type { IntegrationKind } from '../../db/schema/index.ts'

/**
 * An integration's settings, as stored in `integrations.settings` (camelCase) and as the API
 * shows them (snake_case, `PUT /v1/integrations/:id/settings`).
 *
 * The stored document is the connector's own settings (ConnectorSettings: `unknownNumber`,
 * `tagOutcomes`, `tagCallTypes`, `outcomes`, `taskStatus`), so `openConnector` can hand it to the
 * connector as is, plus the hub's logging rules the connector never sees:
 * - `log[callKind]`: `completed` logs the call when it ends; `in_progress` logs it as soon as it
 *   starts (ringing / dialling) and completes that activity when it ends; `off` does not log it.
 * - `businessHoursOnly`: log only the calls that started inside the number's business hours.
 *
 * Always read a row's settings through `integrationSettings(row)`: it fills the defaults for
 * what an older row or a hand-edited one lacks, and never throws.
 */

export const logModes = ['completed', 'in_progress', 'off'] as const
export type LogMode = (typeof logModes)[number]
export const unknownNumberPolicies = ['nothing', 'contact', 'lead', 'account'] as const
export type UnknownNumberPolicy = (typeof unknownNumberPolicies)[number]

/** What each CRM can create for a number it does not know (HubSpot and Zendesk have one kind of person). */
export const unknownNumberPoliciesOf: Record<IntegrationKind, readonly UnknownNumberPolicy[]> = {
  hubspot: ['nothing', 'contact'],
  salesforce: ['nothing', 'contact', 'lead', 'account'],
  zendesk: ['nothing', 'contact'],
  dynamics: ['nothing', 'contact', 'lead', 'account'],
  weather: ['nothing'],
}

const callKindEnum = z.enum(callKinds)
const tagMap = z.record(z.string().trim().min(1).max(100), z.string().trim().min(1).max(200))

const defaultLog = (): Record<CallKind, LogMode> =>
  Object.fromEntries(callKinds.map((k) => [k, 'completed'])) as Record<CallKind, LogMode>

/** The stored form, with every default; what the sync pipeline reads. */
export const integrationSettingsSchema = connectorSettingsSchema.extend({
  log: z
    .partialRecord(callKindEnum, z.enum(logModes))
    .default({})
    .transform((log) => ({ ...defaultLog(), ...log })),
  businessHoursOnly: z.boolean().default(false),
})
export type IntegrationSettings = z.infer<typeof integrationSettingsSchema>

export function defaultIntegrationSettings(): IntegrationSettings {
  return integrationSettingsSchema.parse({})
}

/**
 * A row's settings with defaults. A stored document that no longer parses (a hand edit, a
 * field removed since) keeps its valid fields; a broken field falls back to its default.
 */
export function integrationSettings(row: { settings: unknown }): IntegrationSettings {
  const raw =
    row.settings && typeof row.settings === 'object' ? (row.settings as Record<string, unknown>) : {}
  const full = integrationSettingsSchema.safeParse(raw)
  if (full.success) return full.data
  const kept: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(raw)) {
    const field = integrationSettingsSchema.shape[key as keyof typeof integrationSettingsSchema.shape]
    if (field?.safeParse(value).success) kept[key] = value
  }
  return integrationSettingsSchema.parse(kept)
}

/** The connector's part of the settings (what `Connector` implementations read). */
export function connectorSettingsOf(settings: IntegrationSettings): ConnectorSettingsInput {
  const { log: _log, businessHoursOnly: _bh, ...connector } = settings
  return connector
}

/**
 * Mapping keys are tag names or tag ids (decimal strings), as the admin wrote them; calls carry
 * tag names. This turns id keys into the names of the company's tags (a name key wins over an
 * id key naming the same tag; ids of deleted tags are dropped).
 */
export function tagMapByName(
  map: Readonly<Record<string, string>>,
  tags: readonly { id: number; name: string }[],
): Record<string, string> {
  const nameOfId = new Map(tags.map((t) => [String(t.id), t.name]))
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(map)) {
    if (/^\d+$/.test(key)) {
      const name = nameOfId.get(key)
      if (name !== undefined && !(name in map)) out[name] = value
    } else out[key] = value
  }
  return out
}

// ---- The API's form -------------------------------------------------------------------------

const callTypeJson = z
  .object({
    log: z
      .enum(logModes)
      .openapi({ description: 'completed | in_progress (logged at once, completed at the end) | off' }),
    outcome: z.string().trim().min(1).max(200).nullable().openapi({
      description:
        'Outcome when no mapped tag decides (HubSpot disposition id, Salesforce CallDisposition); null: the connector default',
    }),
    task_status: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .nullable()
      .openapi({ description: 'Salesforce Task Status for this call type; null: "Completed"' }),
  })
  .strict()

/** The settings as `GET /v1/integrations/:id` shows them. */
export const settingsJsonSchema = z
  .object({
    call_types: z.object(
      Object.fromEntries(callKinds.map((k) => [k, callTypeJson])) as Record<CallKind, typeof callTypeJson>,
    ),
    unknown_number: z.enum(unknownNumberPolicies),
    business_hours_only: z.boolean(),
    tag_outcomes: z.record(z.string(), z.string()),
    tag_call_types: z.record(z.string(), z.string()),
  })
  .openapi('IntegrationSettings')
export type SettingsJson = z.infer<typeof settingsJsonSchema>

export function toSettingsJson(s: IntegrationSettings): SettingsJson {
  const call_types = Object.fromEntries(
    callKinds.map((k) => [
      k,
      { log: s.log[k], outcome: s.outcomes[k] ?? null, task_status: s.taskStatus[k] ?? null },
    ]),
  ) as SettingsJson['call_types']
  return {
    call_types,
    unknown_number: s.unknownNumber,
    business_hours_only: s.businessHoursOnly,
    tag_outcomes: s.tagOutcomes,
    tag_call_types: s.tagCallTypes,
  }
}

/**
 * The body of `PUT /v1/integrations/:id/settings`: every field optional; what is given replaces
 * the stored value (a call type's fields one by one; a tag map whole).
 */
export const settingsUpdateSchema = z
  .object({
    call_types: z
      .object(
        Object.fromEntries(callKinds.map((k) => [k, callTypeJson.partial().optional()])) as Record<
          CallKind,
          z.ZodOptional<ReturnType<typeof callTypeJson.partial>>
        >,
      )
      .strict()
      .optional(),
    unknown_number: z.enum(unknownNumberPolicies).optional(),
    business_hours_only: z.boolean().optional(),
    tag_outcomes: tagMap.optional(),
    tag_call_types: tagMap.optional(),
  })
  .strict()
  .openapi('IntegrationSettingsUpdate')
export type SettingsUpdate = z.infer<typeof settingsUpdateSchema>

/** The stored settings after an update; null with the offending field when the CRM cannot do it. */
export function applySettingsUpdate(
  kind: IntegrationKind,
  current: IntegrationSettings,
  update: SettingsUpdate,
): { ok: true; settings: IntegrationSettings } | { ok: false; field: string; message: string } {
  if (update.unknown_number && !unknownNumberPoliciesOf[kind].includes(update.unknown_number)) {
    return {
      ok: false,
      field: 'unknown_number',
      message: `must be one of ${unknownNumberPoliciesOf[kind].join(', ')} for ${kind}`,
    }
  }
  const next: IntegrationSettings = {
    ...current,
    log: { ...current.log },
    outcomes: { ...current.outcomes },
    taskStatus: { ...current.taskStatus },
  }
  for (const [k, v] of Object.entries(update.call_types ?? {}) as [
    CallKind,
    Partial<z.infer<typeof callTypeJson>>,
  ][]) {
    if (v.log !== undefined) next.log[k] = v.log
    if (v.outcome !== undefined) {
      if (v.outcome === null) delete next.outcomes[k]
      else next.outcomes[k] = v.outcome
    }
    if (v.task_status !== undefined) {
      if (v.task_status === null) delete next.taskStatus[k]
      else next.taskStatus[k] = v.task_status
    }
  }
  if (update.unknown_number !== undefined) next.unknownNumber = update.unknown_number
  if (update.business_hours_only !== undefined) next.businessHoursOnly = update.business_hours_only
  if (update.tag_outcomes !== undefined) next.tagOutcomes = update.tag_outcomes
  if (update.tag_call_types !== undefined) next.tagCallTypes = update.tag_call_types
  return { ok: true, settings: integrationSettingsSchema.parse(next) }
}
