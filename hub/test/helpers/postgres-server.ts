import { mkdtempSync, rmSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type postgres from 'postgres'
import { type EmbeddedPostgres, startEmbeddedPostgres } from '../../src/db/embedded-postgres.ts'
import { preparedPool } from '../../src/db/prepared-statements.ts'

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

/**
 * The hub's pool (preparedPool) on the test's server, and the number of writes its sockets have
 * made: each is one batch of messages to the server, a round trip when its answer is awaited.
 */
export function countingPool(
  target: ServerTarget,
  options: postgres.Options<Record<string, postgres.PostgresType>> = {},
): { pool: postgres.Sql; writes: { count: number } } {
  const writes = { count: 0 }
  const pool = preparedPool(target, {
    onnotice: () => {},
    ...options,
    socket: (o: { path?: string; host: string[]; port: number[] }) => {
      const socket: Socket = o.path ? connect(o.path) : connect(o.port[0]!, o.host[0]!)
      const write = socket.write.bind(socket) as (...a: unknown[]) => boolean
      socket.write = ((...a: unknown[]) => {
        writes.count++
        return write(...a)
      }) as Socket['write']
      return socket
    },
  } as postgres.Options<Record<string, postgres.PostgresType>>)
  return { pool, writes }
}
