import { readdirSync, readFileSync } from 'node:fs'

/** The pids of `root` and every process below it (the embedded PostgreSQL and its backends). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)])
    } catch {
      // the process ended meanwhile
    }
  }
  const out: number[] = []
  const walk = (pid: number) => {
    out.push(pid)
    for (const child of children.get(pid) ?? []) walk(child)
  }
  walk(root)
  return out
}

/**
 * Memory of a process tree in MB, as proportional set size (PSS): memory shared between the
 * processes (PostgreSQL's shared buffers, shared libraries) is counted once in all, not once per
 * process as summed RSS would.
 */
export function treeMemoryMb(root: number): { pssMb: number; processes: number; rootMb: number } {
  let kb = 0
  let rootKb = 0
  const pids = processTree(root)
  for (const pid of pids) {
    try {
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8')
      const pss = Number(/^Pss:\s+(\d+) kB/m.exec(rollup)?.[1] ?? 0)
      kb += pss
      if (pid === root) rootKb = pss
    } catch {
      // ended meanwhile, or not ours to read
    }
  }
  return { pssMb: kb / 1024, processes: pids.length, rootMb: rootKb / 1024 }
}

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on Linux). */
const USER_HZ = 100

/**
 * CPU seconds used so far by the process trees under `roots` (user + system, with the children
 * that already ended and were waited for). The difference over a run is what serving it cost,
 * whatever else the machine did meanwhile.
 */
export function treesCpuSeconds(roots: readonly number[]): number {
  let ticks = 0
  for (const root of roots) {
    for (const pid of processTree(root)) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
        // Fields after "(comm) ": state ppid … utime(14) stime(15) cutime(16) cstime(17), 1-based.
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
        for (const i of [11, 12, 13, 14]) ticks += Number(fields[i] ?? 0)
      } catch {
        // ended meanwhile
      }
    }
  }
  return ticks / USER_HZ
}

/** CPU seconds used so far by one process alone (user + system), without its children. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11] ?? 0) + Number(fields[12] ?? 0)) / USER_HZ
  } catch {
    return 0
  }
}
