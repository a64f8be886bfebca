import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../src/db/embedded-postgres.ts'

/** Where a test's postgres-js pools connect: a URL, or the embedded server's options. */
export type ServerTarget = string | EmbeddedPostgres['connection']

/**
 * A real PostgreSQL server for the tests of the database layer's postgres-js side (PGlite,
 * the embedded run's in-memory database, has no wire protocol): the one the scale run started
 * (SB_TEST_DATABASE_URL), else an embedded server of the test's own in a temporary DATA_DIR.
 */
export async function startTestServer(): Promise<{ target: ServerTarget; stop(): Promise<void> }> {
  const url = process.env.SB_TEST_DATABASE_URL
  if (url) return { target: url, stop: async () => {} }
  const dataDir = mkdtempSync(join(tmpdir(), 'sb-pg-'))
  const server = await startEmbeddedPostgres(dataDir)
  return {
    target: server.connection,
    async stop() {
      await server.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
