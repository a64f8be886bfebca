import { clusterDirOf, runningServerPid } from '../../src/db/embedded-postgres.ts'

/**
 * Stops the embedded PostgreSQL server still running on DATA_DIR, if any, and waits for it to
 * exit: test cleanup after a hub was killed with -9 (its server outlives it, as it would for a
 * user, until the next start on that directory). Answers the pid it stopped.
 */
export async function stopLeftoverServer(dataDir: string): Promise<number | null> {
  const pid = runningServerPid(clusterDirOf(dataDir))
  if (pid === null) return null
  const deadline = Date.now() + 15_000
  process.kill(pid, 'SIGINT')
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL')
      break
    }
    await new Promise((done) => setTimeout(done, 25))
  }
  return pid
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}
