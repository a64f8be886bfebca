// Builds the Chrome extension (extension/build/chrome-mv3-prod) when it is missing or older
// than its sources: `npm test` calls it before the browser tests, which load that build.
// Plain Node, no dependencies beyond the installed workspace.
import { spawnSync } from 'node:child_process'
import { readdirSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const EXTENSION_BUILD = join(root, 'extension', 'build', 'chrome-mv3-prod')
const inputs = ['extension/src', 'extension/assets', 'extension/package.json', 'shared/src', 'pnpm-lock.yaml']

function newest(path) {
  let stat
  try {
    stat = statSync(path)
  } catch {
    return 0
  }
  if (!stat.isDirectory()) return stat.mtimeMs
  let latest = stat.mtimeMs
  for (const name of readdirSync(path)) latest = Math.max(latest, newest(join(path, name)))
  return latest
}

/** Runs `plasmo build` in extension/ if needed; throws with its output when it fails. */
export function ensureExtensionBuild({ log = () => {} } = {}) {
  let built = 0
  try {
    built = statSync(join(EXTENSION_BUILD, 'manifest.json')).mtimeMs
  } catch {
    built = 0
  }
  if (built > Math.max(...inputs.map((input) => newest(join(root, input))))) return EXTENSION_BUILD
  log('building the Chrome extension (plasmo build)…')
  const cwd = join(root, 'extension')
  const res = spawnSync(
    process.execPath,
    [join(cwd, 'node_modules', 'plasmo', 'bin', 'index.mjs'), 'build'],
    {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, NODE_ENV: 'production' },
    },
  )
  if (res.status !== 0) throw new Error(`plasmo build failed:\n${res.stdout}\n${res.stderr}`)
  return EXTENSION_BUILD
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureExtensionBuild({ log: (line) => process.stderr.write(`${line}\n`) })
}
