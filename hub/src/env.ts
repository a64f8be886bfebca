import { z } from 'zod'
import { normalizeVatNumber, vatNumberProblem } from './services/account/billing-address.ts'
import { isEuCountry } from './services/billing/vat.ts'

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes')

/**
 * Every setting the hub reads from the environment. README's configuration table mirrors this
 * list: keep them together.
 */
export const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  DATA_DIR: z.string().default('./data'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must be a redis:// URL')
    .optional(),
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL')
    .optional(),
  MAIL_FROM: z.string().default('Switchboard <no-reply@switchboard.local>'),
  PUBLIC_URL: z.string().url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(120),
  HUB_ROLE: z.enum(['all', 'web', 'worker']).default('all'),
  /**
   * Reverse proxies in front of the hub whose X-Forwarded-For entries are trusted: the client
   * address (login throttling) is the entry this many places from the right. 0: the socket's peer.
   */
  TRUST_PROXY_HOPS: z.coerce.number().int().min(0).max(10).default(0),
  /** Lets PUT /v1/numbers/:id `messages` download audio over http and from private addresses. */
  AUDIO_URLS_ALLOW_PRIVATE: bool.default(false),
  /** Text-to-speech renderings (listening to a message): eSpeak NG when installed, else a builtin murmur. */
  TTS_ENGINE: z.enum(['auto', 'espeak-ng', 'builtin']).default('auto'),
  TTS_ESPEAK_COMMAND: z.string().min(1).default('espeak-ng'),
  /**
   * The realtime channel: how long an agent stays online after their last client disconnects
   * (a page reload, a network blip) before user.disconnected and calls stop ringing them.
   */
  REALTIME_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /**
   * Back-pressure on new calls (services/calls/call-admission.ts): how late the call engine's
   * timers and finalizations may run before new calls are refused (busy), those of the
   * companies offering the most first.
   */
  CALL_ENGINE_MAX_LAG_MS: z.coerce.number().int().min(100).max(600_000).default(2000),
  WEBHOOKS_ALLOW_PRIVATE: bool.default(false),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
  /** Signs download URLs of recordings and voicemails (blobs/url-signing-secret.ts says the default). */
  URL_SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /**
   * Keys that seal CRM tokens at rest (AES-256-GCM), "id:base64key" comma-separated, the first
   * one sealing new tokens (services/integrations/token-vault.ts; unset: one generated into
   * DATA_DIR). Every hub process must have the same keys.
   */
  CRM_TOKEN_KEYS: z.string().min(1).optional(),
  /** OAuth apps registered with each CRM vendor (README "CRM integrations"). */
  HUBSPOT_CLIENT_ID: z.string().min(1).optional(),
  HUBSPOT_CLIENT_SECRET: z.string().min(1).optional(),
  SALESFORCE_CLIENT_ID: z.string().min(1).optional(),
  SALESFORCE_CLIENT_SECRET: z.string().min(1).optional(),
  /** login.salesforce.com, or test.salesforce.com for sandbox orgs. */
  SALESFORCE_LOGIN_URL: z.string().url().default('https://login.salesforce.com'),
  ZENDESK_CLIENT_ID: z.string().min(1).optional(),
  ZENDESK_CLIENT_SECRET: z.string().min(1).optional(),
  DYNAMICS_CLIENT_ID: z.string().min(1).optional(),
  DYNAMICS_CLIENT_SECRET: z.string().min(1).optional(),
  /** The Entra ID tenant users sign in through: "organizations" (any work account) or a tenant id. */
  DYNAMICS_TENANT: z.string().min(1).default('organizations'),
  /**
   * Vendor hosts, for a staging CRM or a test double: `<CRM>_API_URL` (API base) and
   * `<CRM>_AUTH_URL` (OAuth host). Unset: the vendor's own.
   */
  HUBSPOT_API_URL: z.string().url().optional(),
  HUBSPOT_AUTH_URL: z.string().url().optional(),
  SALESFORCE_API_URL: z.string().url().optional(),
  ZENDESK_API_URL: z.string().url().optional(),
  DYNAMICS_API_URL: z.string().url().optional(),
  DYNAMICS_AUTH_URL: z.string().url().optional(),
  /**
   * The weather on caller cards (companies with the Weather app): Open-Meteo, whose free API is
   * for non-commercial use only; with OPEN_METEO_API_KEY its commercial hosts. "off": place and
   * local time only.
   */
  WEATHER_PROVIDER: z.enum(['open-meteo', 'off']).default('open-meteo'),
  OPEN_METEO_API_KEY: z.string().min(1).optional(),
  /** Open-Meteo's forecast and geocoding hosts, for a mirror or a test double. */
  OPEN_METEO_URL: z.string().url().optional(),
  OPEN_METEO_GEOCODING_URL: z.string().url().optional(),
  /**
   * How long a caller lookup waits for the CRMs and the weather (ms): a CRM slower than this is
   * left out of that card ("timed out"), so ringing agents get the card within this delay.
   */
  CALLER_INFO_DEADLINE_MS: z.coerce.number().int().min(50).max(30_000).default(1500),
  /** The built-in sandbox CRMs (loopback fakes in this process), for trying integrations out. */
  SANDBOX_CRMS: bool.default(true),
  /**
   * The CRM sync's request budget per connected account, overriding the vendors' published
   * defaults (a higher plan, an API add-on): "kind=requests/window" comma-separated, window in
   * s, m or h, e.g. "zendesk=700/1m,hubspot=190/10s".
   */
  CRM_RATE_LIMITS: z
    .string()
    .regex(
      /^(\s*(hubspot|salesforce|zendesk|dynamics)=\d+\/\d+(s|m|h)\s*)(,\s*(hubspot|salesforce|zendesk|dynamics)=\d+\/\d+(s|m|h)\s*)*$/,
    )
    .optional(),
  INVITATION_TTL_HOURS: z.coerce.number().int().min(1).default(72),
  SESSION_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .default(24 * 14),
  /** The legal entity on invoices (services/billing/seller.ts). Unset: "Switchboard", no details. */
  INVOICE_SELLER_NAME: z.string().trim().min(1).max(200).optional(),
  /** Address lines separated by `|`: a character every env file and shell passes as is. */
  INVOICE_SELLER_ADDRESS: z
    .string()
    .transform((v) =>
      v
        .split('|')
        .map((line) => line.trim())
        .filter((line) => line !== ''),
    )
    .pipe(
      z
        .array(z.string().max(200, 'address lines are at most 200 characters'))
        .min(1, 'must hold address lines separated by |')
        .max(8, 'at most 8 address lines'),
    )
    .optional(),
  // vat.ts applies the EU rules of a seller established in the EU: nothing else is supported.
  INVOICE_SELLER_COUNTRY: z
    .string()
    .trim()
    .toUpperCase()
    .refine(
      isEuCountry,
      'must be the ISO 3166-1 alpha-2 code of an EU country (e.g. FR, DE): invoices apply the VAT rules of a seller established in the EU',
    )
    .optional(),
  INVOICE_SELLER_VAT_NUMBER: z.string().overwrite(normalizeVatNumber).optional(),
})

/** Rules across settings, checked once every setting parsed on its own. */
const checkedEnvSchema = envSchema.superRefine((env, ctx) => {
  // The seller's country decides the VAT of every invoice: never assumed once a seller is named.
  if (env.INVOICE_SELLER_NAME !== undefined && env.INVOICE_SELLER_COUNTRY === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['INVOICE_SELLER_COUNTRY'],
      message: "is required with INVOICE_SELLER_NAME: the seller's country decides the VAT (e.g. FR, DE)",
    })
  }
  const vat = env.INVOICE_SELLER_VAT_NUMBER
  const country = env.INVOICE_SELLER_COUNTRY
  const problem = vat === undefined || country === undefined ? null : vatNumberProblem(country, vat)
  if (problem) {
    ctx.addIssue({
      code: 'custom',
      path: ['INVOICE_SELLER_VAT_NUMBER'],
      message: `${problem} (INVOICE_SELLER_COUNTRY=${env.INVOICE_SELLER_COUNTRY})`,
    })
  }
  // Details without a name would be dropped from invoices (seller.ts): refuse rather than surprise.
  if (env.INVOICE_SELLER_NAME === undefined) {
    for (const key of ['INVOICE_SELLER_ADDRESS', 'INVOICE_SELLER_VAT_NUMBER'] as const) {
      if (env[key] !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'needs INVOICE_SELLER_NAME, without which invoices carry no seller details',
        })
      }
    }
  }
})

export type Env = z.infer<typeof envSchema>

export class EnvError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
  }
}

/** Parses the environment once at boot; lists every bad variable, not just the first. */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const picked: Record<string, string> = {}
  for (const key of Object.keys(envSchema.shape)) {
    const value = source[key]
    if (value !== undefined && value !== '') picked[key] = value
  }
  const result = checkedEnvSchema.safeParse(picked)
  if (!result.success) {
    throw new EnvError(
      result.error.issues.map(
        (i) => `${i.path.join('.')}=${JSON.stringify(picked[String(i.path[0])]) ?? '(unset)'}: ${i.message}`,
      ),
    )
  }
  return result.data
}
