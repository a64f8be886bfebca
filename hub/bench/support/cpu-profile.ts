/**
 * `node --import tsx hub/bench/support/cpu-profile.ts <file.cpuprofile> [top]`: where a
 * `node --cpu-prof` profile (the benchmarks' --cpu-prof <dir>) spent its time, by self time,
 * grouped by package (node_modules/<name>) or by hub file, then the top functions.
 */
import { readFileSync } from 'node:fs'

type Node = {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
type Profile = { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

const [file, topArg] = process.argv.slice(2)
if (!file) throw new Error('usage: cpu-profile.ts <file.cpuprofile> [top]')
const top = Number(topArg ?? 15)
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map<number, number>()
profile.samples.forEach((id, i) => {
  self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0))
})
const total = [...self.values()].reduce((a, b) => a + b, 0)

function groupOf(node: Node): string {
  const { url, functionName } = node.callFrame
  if (!url) return functionName ? `(${functionName})` : '(native)'
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg) return pkg[1]!
  const hub = /\/hub\/src\/(.+)$/.exec(url)
  if (hub) return `hub/src/${hub[1]}`
  if (url.startsWith('node:')) return url
  return url
}

const groups = new Map<string, number>()
const functions = new Map<string, number>()
for (const [id, us] of self) {
  const node = byId.get(id)
  if (!node) continue
  const group = groupOf(node)
  groups.set(group, (groups.get(group) ?? 0) + us)
  const fn = `${node.callFrame.functionName || '(anonymous)'} ${group}:${node.callFrame.lineNumber + 1}`
  functions.set(fn, (functions.get(fn) ?? 0) + us)
}
const pct = (us: number) => `${((100 * us) / total).toFixed(1)}%`
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`)
console.log('by package / file (self time):')
for (const [g, us] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`  ${pct(us).padStart(6)}  ${g}`)
console.log('top functions (self time):')
for (const [f, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`  ${pct(us).padStart(6)}  ${f}`)
