import { and, eq, inArray } from 'drizzle-orm'
import { expect } from 'vitest'
import { outbox } from '../../src/db/schema/index.ts'
import type { TestCompany, TestHub } from './hub.ts'

/**
 * The hub env of the realtime tests: Redis for the channel's fan-out and directory on the
 * scale run (SB_TEST_REDIS_URL set), the embedded drivers otherwise.
 */
export function realtimeTestEnv(): Record<string, string> {
  return process.env.SB_TEST_REDIS_URL ? { REDIS_URL: process.env.SB_TEST_REDIS_URL } : {}
}

/** What a webhook receiver gets of the company's presence events, in order (data: the User object). */
export async function presenceEventsOf(hub: TestHub, companyId: number) {
  const rows = await hub.db
    .select({ event: outbox.event, data: outbox.data })
    .from(outbox)
    .where(
      and(
        eq(outbox.companyId, companyId),
        inArray(outbox.event, ['user.connected', 'user.disconnected', 'user.opened', 'user.closed']),
      ),
    )
    .orderBy(outbox.id)
  // biome-ignore lint/suspicious/noExplicitAny: tests read the webhook payloads as JSON
  return rows as { event: string; data: any }[]
}

/** The profile's external forwarding (and the caller ID it shows), as an admin sets it through the API. */
export async function setForwarding(
  hub: TestHub,
  company: TestCompany,
  userId: number,
  numbers: string[],
  callerIdNumberId: number | null = null,
) {
  const res = await hub.call('PUT', `/v1/users/${userId}`, {
    auth: company.basic,
    body: { forwarding_numbers: numbers, caller_id_number_id: callerIdNumberId },
  })
  expect(res.status, JSON.stringify(res.body)).toBe(200)
  return res.body.user
}
