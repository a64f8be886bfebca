import { sql } from 'drizzle-orm'
import type { Logger } from '../core/logger.ts'
import type { Database } from '../db/client.ts'

/** The PostgreSQL channel on which hubs say "outbox events were committed". */
export const OUTBOX_CHANNEL = 'sb_outbox'

/**
 * A NOTIFY on OUTBOX_CHANNEL for each burst of signals: one in flight at a time, and one more
 * after it if signals came meanwhile. Sent after the commits it reports, as its own statement:
 * NOTIFY inside the event's transaction would serialise every such commit on PostgreSQL's
 * notification lock.
 */
export function createOutboxNotifier(db: Database, logger: Logger): () => void {
  let inFlight = false
  let again = false
  const send = async () => {
    inFlight = true
    again = false
    try {
      await db.execute(sql`select pg_notify(${OUTBOX_CHANNEL}, '')`)
    } catch (err) {
      logger.warn({ err }, 'outbox: NOTIFY failed; the workers will find the events by polling')
    } finally {
      inFlight = false
      if (again) void send()
    }
  }
  return () => {
    if (inFlight) again = true
    else void send()
  }
}
