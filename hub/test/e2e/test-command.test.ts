import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { repoRoot } from './processes.ts'

// `npm test` alone must pass on a fresh Debian machine: as root it installs what the test runs
// need (PostgreSQL and Redis for the scale run, Chromium for the browser tests) with apt-get;
// otherwise it says what to install. Driven here as `node scripts/run.mjs test <filter>`, with
// a filter matching no test file and an `apt-get` of ours first on PATH that records its
// arguments and "installs" Chromium where CHROMIUM_PATH points.

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

const isRoot = process.getuid?.() === 0

function sandbox() {
  const dir = mkdtempSync(join(tmpdir(), 'sb-test-command-'))
  dirs.push(dir)
  const aptLog = join(dir, 'apt-get.log')
  const chromium = join(dir, 'chromium')
  writeFileSync(
    join(dir, 'apt-get'),
    [
      '#!/bin/sh',
      `echo "$*" >> '${aptLog}'`,
      `if [ "$1" = install ]; then for p in "$@"; do [ "$p" = chromium ] && : > '${chromium}'; done; fi`,
      'exit 0',
      '',
    ].join('\n'),
  )
  chmodSync(join(dir, 'apt-get'), 0o755)
  return { dir, aptLog, chromium }
}

function runTestCommand(
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env }
  // Not the settings of the vitest run this test is part of.
  for (const key of Object.keys(childEnv))
    if (key.startsWith('VITEST') || key === 'NODE_OPTIONS') delete childEnv[key]
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['scripts/run.mjs', 'test', 'no-test-file-matches-this-filter'], {
      cwd: repoRoot,
      env: childEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8')
    })
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8')
    })
    child.once('error', fail)
    child.once('exit', (code) => done({ code, stdout, stderr }))
  })
}

describe('npm test on a machine without Chromium', () => {
  test(
    isRoot
      ? 'installs chromium with apt-get (running as root), then runs the tests'
      : 'says which Debian package to install (not root), then runs the tests',
    async () => {
      const box = sandbox()
      const res = await runTestCommand({
        PATH: `${box.dir}:${process.env.PATH}`,
        CHROMIUM_PATH: box.chromium,
        SB_TEST_RESULTS_DIR: join(box.dir, 'results'),
      })
      if (isRoot) {
        expect(res.stderr).toContain('installing chromium with apt-get')
        expect(readFileSync(box.aptLog, 'utf8').trim().split('\n')).toEqual([
          'update -qq',
          'install -y -qq chromium',
        ])
        expect(existsSync(box.chromium)).toBe(true)
      } else {
        expect(res.stderr).toContain('sudo apt-get install -y chromium')
        expect(existsSync(box.aptLog)).toBe(false)
      }
      // Both runs went ahead (nothing matched the filter), reporting where it was told.
      expect(res.stdout.trim().split('\n').at(-1)).toBe('0 passed, 0 failed')
      expect(existsSync(join(box.dir, 'results', 'embedded.json'))).toBe(true)
    },
  )

  test('installs nothing when every package is there', async () => {
    const box = sandbox()
    writeFileSync(box.chromium, '')
    const res = await runTestCommand({
      PATH: `${box.dir}:${process.env.PATH}`,
      CHROMIUM_PATH: box.chromium,
      SB_TEST_RESULTS_DIR: join(box.dir, 'results'),
    })
    expect(existsSync(box.aptLog)).toBe(false)
    expect(res.stderr).not.toContain('apt-get')
    expect(res.stdout.trim().split('\n').at(-1)).toBe('0 passed, 0 failed')
  })
})

describe('.ci/run', () => {
  test('adds nothing to npm test', () => {
    const script = readFileSync(join(repoRoot, '.ci', 'run'), 'utf8')
    const commands = script
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'))
    expect(commands).toEqual(['set -euo pipefail', 'cd "$(dirname "$0")/.."', 'exec npm test'])
  })
})
