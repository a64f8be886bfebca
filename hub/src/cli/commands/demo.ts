import type { DemoResult } from '../../admin/demo.ts'

/** The text sb demo prints (everything secret is shown this once). */
export function formatDemo(demo: DemoResult, base: string): string[] {
  const key = `${demo.api_key.api_id}:${demo.api_key.api_token}`
  const width = Math.max(...demo.agents.map((a) => a.name.length))
  const status = {
    available: 'available',
    custom: 'auto (working hours)',
    unavailable: 'unavailable',
    do_not_disturb: 'do not disturb',
  }
  return [
    `Demo company "${demo.company_name}" (id ${demo.company_id}) is ready. Secrets are shown only this once.`,
    '',
    'Admin login (POST /v1/auth/login):',
    `  email:     ${demo.admin.email}`,
    `  password:  ${demo.admin.password}`,
    'API key:',
    `  api_id:    ${demo.api_key.api_id}`,
    `  api_token: ${demo.api_key.api_token}`,
    '',
    'Numbers (live):',
    ...demo.numbers.map((n) => `  ${n.digits}  "${n.name}" (${n.type}, id ${n.id}): ${n.routing}`),
    `Teams: ${demo.teams.map((t) => `${t.name} (id ${t.id})`).join(', ')}`,
    `Tags:  ${demo.tags.map((t) => `${t.name} (id ${t.id})`).join(', ')}`,
    '',
    'Agents (Bearer <agent token>):',
    ...demo.agents.map(
      (a) =>
        `  ${a.name.padEnd(width)}  user ${a.user_id}  ext ${a.extension ?? '-'}  ${status[a.status].padEnd(20)}  ${a.teams.join(', ').padEnd(15)}  ${a.agent_token}`,
    ),
    '',
    'Try:',
    `  curl -u ${key} ${base}/v1/numbers`,
    `  SB_API_KEY=${key} npm run sb -- simulate --to "${demo.numbers[0]!.digits}" --calls 5`,
  ]
}
