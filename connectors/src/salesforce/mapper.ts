import { type CallActivity, type CallKind, callKind, talkSeconds } from '@switchboard/shared'
import type { ConnectorSettings, CrmRecordType, LogRecord } from '../contract.ts'
import { activityTitle, notesText, resolveTagMapping } from '../mapping.ts'

const truncate = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s)

/**
 * Aircall's "Call Result" for Salesforce: the integration, the tags, direction, answered or not,
 * the line's digits and why a call was missed — so reports can filter on any of them.
 */
function defaultDisposition(call: CallActivity): string {
  return [
    'switchboard',
    ...call.tags,
    call.direction,
    call.answered_at !== null ? 'answered_call' : 'unanswered_call',
    call.line.e164.replace(/^\+/, ''),
    call.missed_call_reason,
  ]
    .filter((x): x is string => !!x)
    .join(', ')
}

function description(call: CallActivity): string {
  const lines = [notesText(call)]
  if (call.recording_url) lines.push(`Recording: ${call.recording_url}`)
  if (call.voicemail_url) lines.push(`Voicemail: ${call.voicemail_url}`)
  return lines.filter((l) => l !== '').join('\n\n')
}

/** Who (Contact/Lead) and What (Account). A Task whose WhoId is a lead may not have a WhatId. */
export function whoWhat(record: LogRecord | null): { WhoId?: string; WhatId?: string } {
  if (!record) return {}
  if (record.type === 'account') return { WhatId: record.id }
  if (record.type === 'lead') return { WhoId: record.id }
  return record.accountId ? { WhoId: record.id, WhatId: record.accountId } : { WhoId: record.id }
}

/**
 * The Task for a call. https://developer.salesforce.com/docs/platform/object-reference/references/standard-objects/object-task.html
 * `TaskSubtype` is create-only: `forUpdate` leaves it out, or Salesforce refuses the PATCH.
 */
export function taskFields(
  call: CallActivity,
  settings: ConnectorSettings,
  ctx: { record: LogRecord | null; ownerId: string | null; forUpdate?: boolean },
): Record<string, string | number> {
  const kind: CallKind = callKind(call)
  const fallback = kind in settings.outcomes ? (settings.outcomes[kind] ?? null) : defaultDisposition(call)
  const disposition = resolveTagMapping(call.tags, settings.tagOutcomes, fallback)
  const fields: Record<string, string | number> = {
    Subject: truncate(activityTitle(kind, call, ctx.record?.name ?? null), 255),
    Type: resolveTagMapping(call.tags, settings.tagCallTypes, 'Call') ?? 'Call',
    CallType: call.direction === 'inbound' ? 'Inbound' : 'Outbound',
    CallDurationInSeconds: talkSeconds(call),
    CallDisposition: truncate(disposition ?? '', 255),
    // The CTI call id by custom: our idempotency key, queryable with SOQL.
    CallObject: call.call_ref,
    Description: truncate(description(call), 32_000),
    ActivityDate: new Date(call.started_at * 1000).toISOString().slice(0, 10),
    Status: settings.taskStatus[kind] ?? 'Completed',
    Priority: 'Normal',
    ...whoWhat(ctx.record),
  }
  if (ctx.ownerId) fields.OwnerId = ctx.ownerId
  if (!ctx.forUpdate) fields.TaskSubtype = 'Call'
  return fields
}

export const recordTypes: Record<string, CrmRecordType> = {
  Contact: 'contact',
  Lead: 'lead',
  Account: 'account',
}
export const sobjectOf: Record<CrmRecordType, string> = {
  contact: 'Contact',
  lead: 'Lead',
  account: 'Account',
}

/** SOQL string literal: backslash and quote escaped. */
export function soqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
}

/** SOSL reserved characters get a backslash: & | ! ( ) { } [ ] ^ " ~ * ? : \ ' + - */
export function escapeSosl(s: string): string {
  return s.replace(/[&|!(){}[\]^"~*?:\\'+-]/g, (c) => `\\${c}`)
}
