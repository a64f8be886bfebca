import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestHub, type TestHub } from '../../../test/helpers/hub.ts'
import { addTeam, addUser, createNumber } from '../../api/v1/numbers/numbers-fixtures.ts'

// A settings write and the deletion of what it names, sent at the same moment. On PostgreSQL
// (the scale run) they run on two connections; whichever commits first, no number may end up
// routing to a user or team that no longer exists.

let hub: TestHub
beforeAll(async () => {
  hub = await createTestHub()
})
afterAll(() => hub.close())

const ROUNDS = 12

describe('settings writes racing deletions', () => {
  it('never leave a step naming a deleted user or team', async () => {
    const company = await hub.createCompany()
    const n = await createNumber(hub, company, { name: 'Race line' })
    for (let round = 0; round < ROUNDS; round++) {
      const user = await addUser(hub, company, { first: `Racer${round}` })
      const team = await addTeam(hub, company, `Race team ${round}`, [company.agentUserId])
      const [write, deleteUser, deleteTeam] = await Promise.all([
        hub.call('PUT', `/v1/numbers/${n.id}/settings/distribution`, {
          auth: company.basic,
          body: {
            steps: [
              { type: 'user', user_id: user },
              { type: 'team', team_id: team },
            ],
          },
        }),
        hub.call('DELETE', `/v1/users/${user}`, { auth: company.basic }),
        hub.call('DELETE', `/v1/teams/${team}`, { auth: company.basic }),
      ])
      expect(deleteUser.status).toBe(204)
      expect([200, 204]).toContain(deleteTeam.status)
      // Either the write saw them (and the deletions then removed them), or it came second
      // and was refused for naming what no longer exists.
      expect([200, 400], JSON.stringify(write.body)).toContain(write.status)
      const after = await hub.call('GET', `/v1/numbers/${n.id}/settings`, { auth: company.basic })
      expect(after.body.settings.distribution.steps).toEqual([])
    }
  })
})
