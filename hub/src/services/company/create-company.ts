import type { Clock } from '../../core/clock.ts'
import type { Database } from '../../db/client.ts'
import { companies, tags, users } from '../../db/schema/index.ts'
import { insertApiKey } from '../api-keys/api-key-service.ts'
import { hashPassword } from '../auth/secrets.ts'

/** The tags every company has; they cannot be edited or deleted. */
export const SYSTEM_TAGS = [
  { name: 'Conference', color: '#6C5CE7', description: 'Call became a conference' },
  { name: 'Callback Request', color: '#00B894', description: 'Caller asked to be called back' },
  { name: 'Called Back', color: '#0984E3', description: 'A callback request was answered' },
  { name: 'Follow Up', color: '#FDCB6E', description: 'Needs a follow-up' },
] as const

/** The first extension of a company (user-service.ts assigns the lowest free one from here). */
export const FIRST_EXTENSION = '100'

export type SetupInput = {
  company: string
  email: string
  password: string
  firstName?: string
  lastName?: string
}
export type SetupResult = { company_id: number; user_id: number; api_id: string; api_token: string }

/** Creates a tenant: the company, its first admin, its system tags and a first API key. */
export async function createCompanyWithAdmin(
  db: Database,
  clock: Clock,
  input: SetupInput,
): Promise<SetupResult> {
  const passwordHash = await hashPassword(input.password)
  const now = clock.now()
  return db.transaction(async (tx) => {
    const [company] = await tx
      .insert(companies)
      .values({ name: input.company, createdAt: now, updatedAt: now })
      .returning({ id: companies.id })
    const companyId = company!.id
    const [user] = await tx
      .insert(users)
      .values({
        companyId,
        email: input.email.trim().toLowerCase(),
        firstName: input.firstName ?? '',
        lastName: input.lastName ?? '',
        passwordHash,
        role: 'admin',
        // Invited users are given the lowest free extension from 100: the first admin takes it.
        extension: FIRST_EXTENSION,
        invitationAcceptedAt: now,
        createdAt: now,
        updatedAt: now,
      })
      .returning({ id: users.id })
    await tx
      .insert(tags)
      .values(SYSTEM_TAGS.map((t) => ({ ...t, companyId, isSystem: true, createdAt: now, updatedAt: now })))
    const key = await insertApiKey(tx, { companyId, name: 'Created at setup', now })
    return { company_id: companyId, user_id: user!.id, api_id: key.row.apiId, api_token: key.apiToken }
  })
}
