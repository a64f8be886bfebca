import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The committed SQL migrations (drizzle-kit generate), applied at every start. */
export const migrationsFolder = resolve(dirname(fileURLToPath(import.meta.url)), '../../drizzle')
