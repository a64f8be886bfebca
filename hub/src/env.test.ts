import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { EnvError, parseEnv } from './env.ts'

function envError(source: Record<string, string>): EnvError {
  try {
    parseEnv(source)
  } catch (err) {
    if (err instanceof EnvError) return err
    throw err
  }
  throw new Error(`${JSON.stringify(source)} was accepted`)
}

describe('parseEnv', () => {
  it('reads the defaults from an empty environment, and ignores empty values', () => {
    const env = parseEnv({ PORT: '', HUB_ROLE: '' })
    expect(env).toMatchObject({ PORT: 3000, HUB_ROLE: 'all', DATA_DIR: './data', RATE_LIMIT_PER_MINUTE: 120 })
    expect(parseEnv({ PORT: '8080', HUB_ROLE: 'worker' })).toMatchObject({ PORT: 8080, HUB_ROLE: 'worker' })
  })

  it('lists every bad variable in one error, each with its value, not just the first', () => {
    const err = envError({
      PORT: 'abc',
      HUB_ROLE: 'x',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://db/switchboard',
      RATE_LIMIT_PER_MINUTE: '0',
      DATA_DIR: '/tmp/fine', // a good one among them is not reported
    })
    const keys = err.problems.map((p) => p.split('=')[0])
    expect(keys.sort()).toEqual(['DATABASE_URL', 'HUB_ROLE', 'LOG_LEVEL', 'PORT', 'RATE_LIMIT_PER_MINUTE'])
    expect(err.problems.find((p) => p.startsWith('PORT='))).toContain('"abc"')
    expect(err.problems.find((p) => p.startsWith('DATABASE_URL='))).toContain('postgres://')
    // The message printed at boot holds them all, one a line.
    expect(err.message.split('\n')).toHaveLength(6)
    for (const key of keys) expect(err.message).toContain(`  - ${key}=`)
  })

  it('ignores variables it does not know', () => {
    expect(() => parseEnv({ SOMETHING_ELSE: 'whatever', PORT: '3001' })).not.toThrow()
  })
})

describe('boot with a bad configuration', () => {
  it('exits with code 2 and prints every bad variable on stderr', async () => {
    const main = fileURLToPath(new URL('./main.ts', import.meta.url))
    const hubDir = fileURLToPath(new URL('..', import.meta.url))
    const child = spawn(process.execPath, ['--import', 'tsx', main], {
      cwd: hubDir,
      // Only what the process needs: no DATABASE_URL or DATA_DIR of the test run leaks in.
      env: { PATH: process.env.PATH ?? '', PORT: 'abc', HUB_ROLE: 'x' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString()
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString()
    })
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve))
    expect(code, stderr).toBe(2)
    expect(stderr).toContain('Invalid configuration')
    expect(stderr).toContain('PORT="abc"')
    expect(stderr).toContain('HUB_ROLE="x"')
    expect(stdout).not.toContain('Switchboard is running')
  }, 30_000)
})
