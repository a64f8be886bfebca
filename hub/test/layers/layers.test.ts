import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'

/**
 * The hub's layers point down: core ← db ← telephony ← services ← api / admin / cli ← server.
 * biome.json's noRestrictedImports overrides enforce it; these tests lint small files placed in
 * a scratch copy of the tree layout with the repository's own biome.json.
 */
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..')
const biome = join(root, 'node_modules', '.bin', 'biome')
const scratch = mkdtempSync(join(tmpdir(), 'sb-layers-'))
copyFileSync(join(root, 'biome.json'), join(scratch, 'biome.json'))

afterAll(() => rmSync(scratch, { recursive: true, force: true }))

function lint(path: string, source: string) {
  const file = join(scratch, path)
  mkdirSync(dirname(file), { recursive: true })
  writeFileSync(file, source)
  const res = spawnSync(biome, ['lint', '--max-diagnostics=50', path], { cwd: scratch, encoding: 'utf8' })
  return { failed: res.status !== 0, output: `${res.stdout}${res.stderr}` }
}

describe('layer rules', () => {
  it('refuse a service that imports the HTTP layer or hono', () => {
    const res = lint(
      'hub/src/services/demo/demo-service.ts',
      "import { Hono } from 'hono'\nimport type { AppEnv } from '../../api/context.ts'\nexport const make = (): [Hono, AppEnv | null] => [new Hono(), null]\n",
    )
    expect(res.failed).toBe(true)
    expect(res.output).toContain('noRestrictedImports')
    expect(res.output).toContain('Layers point down')
    expect(res.output).toContain('hono')
  })

  it('refuse db and telephony code that imports the HTTP layer', () => {
    for (const path of ['hub/src/db/demo.ts', 'hub/src/telephony/demo.ts']) {
      const res = lint(path, "import { statusOf } from '../api/http-errors.ts'\nexport const s = statusOf\n")
      expect(res.failed, path).toBe(true)
      expect(res.output).toContain('Layers point down')
    }
  })

  it('refuse db code that imports services or telephony, and telephony code that imports services', () => {
    const db = lint(
      'hub/src/db/schema/demo.ts',
      "import type { HubDeps } from '../../services/deps.ts'\nexport type D = HubDeps\n",
    )
    expect(db.failed).toBe(true)
    expect(db.output).toContain('db/ sits below telephony and services')
    const telephony = lint(
      'hub/src/telephony/demo.ts',
      "import type { ServiceContext } from '../services/context.ts'\nexport type C = ServiceContext\n",
    )
    expect(telephony.failed).toBe(true)
    expect(telephony.output).toContain('telephony/ is the inner ring')
  })

  it('refuse core code that imports any other layer', () => {
    const res = lint(
      'hub/src/core/demo.ts',
      "import type { Database } from '../db/client.ts'\nexport type D = Database\n",
    )
    expect(res.failed).toBe(true)
    expect(res.output).toContain('core/ is the bottom layer')
  })

  it('refuse telephony, services and core code that imports the realtime edge', () => {
    for (const path of [
      'hub/src/telephony/engine/demo.ts',
      'hub/src/services/demo/demo.ts',
      'hub/src/core/demo.ts',
    ]) {
      const depth = path.split('/').length - 3
      const res = lint(
        path,
        `import type { Realtime } from '${'../'.repeat(depth)}realtime/realtime.ts'\nexport type R = Realtime\n`,
      )
      expect(res.failed, path).toBe(true)
      expect(res.output).toContain('realtime/ is an edge like api/')
    }
  })

  it('accept a realtime edge built on services and telephony', () => {
    const res = lint(
      'hub/src/realtime/demo.ts',
      "import type { ServiceContext } from '../services/context.ts'\nimport type { route } from '../telephony/router.ts'\nexport type D = [ServiceContext, typeof route]\n",
    )
    expect(res.output).not.toContain('noRestrictedImports')
    expect(res.failed).toBe(false)
  })

  it('accept a service built on core and db', () => {
    const res = lint(
      'hub/src/services/demo/ok-service.ts',
      "import { notFound } from '../../core/errors.ts'\nimport type { Database } from '../../db/client.ts'\nexport const find = (db: Database | null) => {\n  if (!db) throw notFound('Demo not found')\n  return db\n}\n",
    )
    expect(res.output).not.toContain('noRestrictedImports')
    expect(res.failed).toBe(false)
  })
})
