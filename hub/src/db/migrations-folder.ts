import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The committed SQL migrations (drizzle-kit generate), applied at every start: the hub
 * package's drizzle/ folder, found upwards from this module, which runs from hub/src/db/ under
 * tsx and from hub/dist/ once `npm start` has bundled the hub.
 */
export const migrationsFolder = findUp(dirname(fileURLToPath(import.meta.url)))

function findUp(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'drizzle')
    if (existsSync(join(candidate, 'meta', '_journal.json'))) return candidate
    if (dirname(dir) === dir) throw new Error(`no drizzle/meta/_journal.json above ${from}`)
  }
}
