import type { CallActivity, CallActivityInput, CallKind } from '@switchboard/shared'
import { z } from 'zod'
import type { ConnectorError } from './errors.ts'

/** The OAuth app registered with the vendor (one per Switchboard install, from env). */
export const oauthAppSchema = z.object({
  clientId: z.string().min(1),
  clientSecret: z.string().min(1),
  redirectUri: z.url(),
  /** Microsoft Entra tenant (Dynamics only): a tenant id or domain, `organizations` when absent. */
  tenant: z.string().min(1).optional(),
})
export type OAuthApp = z.infer<typeof oauthAppSchema>

/**
 * What the hub stores per connection (encrypted at rest by the hub). `expiresAt` is Unix ms or
 * null when the vendor gives no lifetime (Salesforce). `accountId` is the CRM account the grant
 * belongs to (HubSpot portal id, Salesforce org id, Dataverse organization id); `instanceUrl` is
 * the connection's own API host (Salesforce instance, Dynamics org URL such as
 * https://contoso.crm4.dynamics.com).
 */
export const tokenSetSchema = z.object({
  accessToken: z.string().min(1),
  refreshToken: z.string().min(1).nullable(),
  expiresAt: z.number().int().nullable(),
  accountId: z.string().nullable().default(null),
  instanceUrl: z.url().nullable().default(null),
})
export type TokenSet = z.infer<typeof tokenSetSchema>

/** Per-connection settings the company's admin chooses (defaults in each connector). */
export const connectorSettingsSchema = z.object({
  /** What to do when no CRM record matches the number. HubSpot knows only contacts. */
  unknownNumber: z.enum(['nothing', 'contact', 'lead', 'account']).default('nothing'),
  /** Tag name → outcome (HubSpot disposition GUID; Salesforce `CallDisposition` text). */
  tagOutcomes: z.record(z.string(), z.string()).default({}),
  /** Tag name → call type (HubSpot `hs_activity_type`; Salesforce Task `Type`). */
  tagCallTypes: z.record(z.string(), z.string()).default({}),
  /** Outcome per call type when no mapped tag decides; a missing key keeps the connector default. */
  outcomes: z
    .partialRecord(
      z.enum([
        'inbound_answered',
        'inbound_missed',
        'inbound_voicemail',
        'outbound_answered',
        'outbound_unanswered',
      ]),
      z.string().nullable(),
    )
    .default({}),
  /** Salesforce Task `Status` per call type (org-specific picklist); default "Completed". */
  taskStatus: z
    .partialRecord(
      z.enum([
        'inbound_answered',
        'inbound_missed',
        'inbound_voicemail',
        'outbound_answered',
        'outbound_unanswered',
      ]),
      z.string(),
    )
    .default({}),
})
export type ConnectorSettings = z.infer<typeof connectorSettingsSchema>
export type ConnectorSettingsInput = z.input<typeof connectorSettingsSchema>

export type CrmRecordType = 'contact' | 'lead' | 'account'

/** A CRM record a phone number matched, as the agent's screen-pop shows it. */
export type CrmRecord = {
  id: string
  type: CrmRecordType
  name: string
  email: string | null
  phone: string | null
  /** The record's page in the CRM, when the connector knows the account's web address. */
  url: string | null
  /** For a contact, the account/company it belongs to (Salesforce `AccountId`). */
  accountId: string | null
  /** The company / account's name, when the search gave it at no extra cost (caller card). */
  company?: string | null
  /** The record owner's name (or email when the CRM gives no name), when known. */
  owner?: string | null
}

/** An activity (HubSpot call, Salesforce Task) the connector wrote for a call. */
export type ActivityRef = { id: string; callRef: string }

/** The record a call is logged on; `name` goes into the activity's title when given. */
export type LogRecord = Pick<CrmRecord, 'id' | 'type'> & { accountId?: string | null; name?: string | null }

export type LogCallOptions = {
  /** The record the call is logged on; null logs it unattached (or creates one, by policy). */
  record?: LogRecord | null
  /** The activity id from the hub's ledger, when an earlier log of this call succeeded. */
  activityId?: string | null
  /**
   * The hub's ledger has a started log for this call with no activity id (a timeout or a crash
   * mid-write): look the activity up by call ref before creating one.
   */
  mayExist?: boolean
}

export type LogCallResult = ActivityRef & { created: boolean; record: Pick<CrmRecord, 'id' | 'type'> | null }

export type BatchItemResult =
  | { ok: true; callRef: string; activityId: string }
  | { ok: false; callRef: string; error: ConnectorError }

export type HealthStatus =
  | { ok: true; accountId: string | null }
  | { ok: false; reason: string; reauth: boolean }

/**
 * One connection of one company to one CRM. Connectors own no persistence: new tokens go back
 * through `onTokens`, every failure is a ConnectorError saying whether a retry may help.
 */
export interface Connector {
  readonly slug: ConnectorSlug
  /** Forces a token refresh (the connector also refreshes on its own) and reports the new set. */
  refresh(): Promise<TokenSet>
  /** One-time preparation after authorising (e.g. HubSpot's call-ref property). Idempotent. */
  prepare(): Promise<void>
  /** Records whose phone fields match the E.164 number, best first. */
  lookupByPhone(e164: string): Promise<CrmRecord[]>
  /**
   * Several numbers' records in as few requests as the CRM allows (HubSpot: IN filters,
   * Salesforce: one SOSL with OR), each number's list ranked as lookupByPhone ranks it. Absent
   * where the CRM has no such search (the caller then looks the numbers up one by one).
   */
  lookupMany?(e164s: readonly string[]): Promise<Map<string, CrmRecord[]>>
  /** Creates a record for an unknown number by the connection's policy; null when the policy is "nothing". */
  createContact(input: { e164: string; name?: string | null }): Promise<CrmRecord | null>
  /** The activity already written for this call ref, if any. */
  findActivity(callRef: string): Promise<ActivityRef | null>
  /** Creates, or updates, the activity for the call (exactly once per call ref, see LogCallOptions). */
  logCall(call: CallActivityInput, opts?: LogCallOptions): Promise<LogCallResult>
  /** Creates many activities at once (first logs of ended calls); one result per input, same order. */
  logCalls(
    items: { call: CallActivityInput; record?: LogCallOptions['record'] }[],
  ): Promise<BatchItemResult[]>
  /** Puts the recording or voicemail link on an activity written before the media was ready. */
  attachMedia(
    activityId: string,
    media: { recordingUrl?: string | null; voicemailUrl?: string | null },
  ): Promise<void>
  healthCheck(): Promise<HealthStatus>
  /**
   * Revokes the grant at the vendor (the integration is being deleted): afterwards the refresh
   * token is refused, and the access token too where the vendor revokes both at once. A grant
   * the vendor no longer knows counts as revoked.
   */
  revoke(): Promise<void>
}

export type ConnectorContext = {
  app: OAuthApp
  tokens: TokenSet
  /** Called with every new token set (refresh, rotation); the hub persists it before the next call. */
  onTokens: (tokens: TokenSet) => void | Promise<void>
  settings?: ConnectorSettingsInput
  /** Injected clock (Unix ms) for token expiry. */
  now?: () => number
  /** Vendor API base URL, for tests and sandboxes (no trailing slash). */
  baseUrl?: string
  /** Vendor OAuth host, for tests and sandboxes. */
  authBaseUrl?: string
  /** Per-request timeout in ms (default 20 s). */
  timeoutMs?: number
  /**
   * Wraps each request to the vendor's API (every try; its OAuth endpoints apart): the caller
   * paces the connected account at the vendor's limit here, request by request, instead of
   * guessing what an operation costs. `budget` is the limit the request counts against.
   */
  paceRequest?: <T>(budget: RequestBudget, send: () => Promise<T>) => Promise<T>
}

/** Sends one request through the context's pacing, if any. */
export function paced<T>(ctx: ConnectorContext, budget: RequestBudget, send: () => Promise<T>): Promise<T> {
  return ctx.paceRequest ? ctx.paceRequest(budget, send) : send()
}

/** Which of the vendor's limits a request counts against: HubSpot's search has one of its own. */
export type RequestBudget = 'api' | 'search'

export type AuthorizationUrlOptions = {
  state: string
  authBaseUrl?: string
  /**
   * The account's own host, for vendors whose grant is per instance (Dynamics: the org URL the
   * admin typed, which the OAuth scope names). Ignored by the others.
   */
  instanceUrl?: string
  /** PKCE (RFC 7636, S256): the challenge of a verifier the hub keeps with `state`. See createPkcePair. */
  codeChallenge?: string
}

export type ExchangeCodeOptions = {
  baseUrl?: string
  authBaseUrl?: string
  now?: () => number
  timeoutMs?: number
  /** The instance URL given to authorizationUrl (Dynamics needs it again for the token's scope). */
  instanceUrl?: string
  /** PKCE: the verifier whose challenge went into the authorization URL. */
  codeVerifier?: string
}

/** Vendor-level functions that need no connection yet: the OAuth dance. */
export interface ConnectorDefinition {
  readonly slug: ConnectorSlug
  authorizationUrl(app: OAuthApp, opts: AuthorizationUrlOptions): string
  exchangeCode(app: OAuthApp, code: string, opts?: ExchangeCodeOptions): Promise<TokenSet>
  connect(ctx: ConnectorContext): Connector
}

export type ConnectorSlug = 'hubspot' | 'salesforce' | 'zendesk' | 'dynamics'

export type { CallActivity, CallKind }
