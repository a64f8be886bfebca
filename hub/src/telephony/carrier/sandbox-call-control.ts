import { and, eq, sql } from 'drizzle-orm'
import { z } from 'zod'
import { DomainError } from '../../core/errors.ts'
import type { Logger } from '../../core/logger.ts'
import type { Database, Queryable } from '../../db/client.ts'
import { compiled } from '../../db/compiled.ts'
import { intArrayLiteral } from '../../db/int-array.ts'
import { sandboxDevices } from '../../db/schema/index.ts'
import { defineJob, newJobs } from '../../jobs/job-definition.ts'
import type { JobQueue } from '../../jobs/queue.ts'
import { applyCallEvent, type EngineDeps } from '../engine/call-engine.ts'
import type { CallCommand, CallControl, CarrierCall } from './call-control.ts'

/**
 * The sandbox's call control, in the hub's process. There is no audio: prompts, menus and
 * holds last as long as the engine's timers say, and the callers are driven by the simulation
 * API. What it does simulate is agents' devices (sandbox_devices): a device rung answers after
 * its `answer_after_sec` and hangs up after its `talk_sec`. Those delays are durable jobs, so
 * a restart keeps them, and the events they produce go through the engine like any other.
 */
export const sandboxDeviceJob = defineJob({
  queue: 'calls',
  name: 'sandbox-device',
  schema: z.object({
    callId: z.number().int().positive(),
    userId: z.number().int().positive(),
    action: z.enum(['answer', 'hangup']),
  }),
  tries: 5,
  backoffMs: 500,
  concurrency: 8,
  handle: async (deps: EngineDeps, data) => {
    try {
      await applyCallEvent(
        deps,
        data.callId,
        data.action === 'answer'
          ? { type: 'leg_answered', userId: data.userId }
          : { type: 'agent_hungup', userId: data.userId },
      )
    } catch (err) {
      // The device's agent took another call meanwhile: this one rings on without them.
      if (err instanceof DomainError && err.code === 'not_allowed') return
      throw err
    }
  },
})

/** These agents' simulated devices, when they have one (run at every ring and answer). */
const devicesStatement = compiled((db: Queryable) =>
  db
    .select()
    .from(sandboxDevices)
    .where(
      and(
        eq(sandboxDevices.companyId, sql.placeholder('companyId')),
        sql`${sandboxDevices.userId} = any(${sql.placeholder('userIds')}::int[])`,
      ),
    ),
)

export function createSandboxCallControl(deps: {
  db: Database
  queue: JobQueue
  logger: Logger
}): CallControl {
  async function devicesOf(companyId: number, userIds: number[]) {
    return devicesStatement(deps.db, { companyId, userIds: intArrayLiteral(userIds) })
  }

  async function run(call: CarrierCall, command: CallCommand): Promise<void> {
    if (command.verb === 'ring_agents') {
      const devices = await devicesOf(call.companyId, command.userIds)
      if (devices.length === 0) return
      await deps.queue.addBulk(
        newJobs(
          sandboxDeviceJob,
          devices.map((d) => ({
            data: { callId: call.id, userId: d.userId, action: 'answer' as const },
            delayMs: d.answerAfterSec * 1000,
            // One answer per ring: the same leg rung again later (another step) answers again.
            jobKey: `sandbox:${call.id}:v${call.version}:${d.userId}:answer`,
          })),
        ),
      )
    } else if (command.verb === 'bridge') {
      const [device] = await devicesOf(call.companyId, [command.userId])
      if (!device) return
      await deps.queue.addBulk(
        newJobs(sandboxDeviceJob, [
          {
            data: { callId: call.id, userId: device.userId, action: 'hangup' },
            delayMs: device.talkSec * 1000,
            jobKey: `sandbox:${call.id}:${device.userId}:hangup`,
          },
        ]),
      )
    }
  }

  return {
    name: 'sandbox',
    async execute(call, commands) {
      for (const command of commands) {
        try {
          await run(call, command)
        } catch (err) {
          deps.logger.warn({ err, callId: call.id, verb: command.verb }, 'sandbox: a call command failed')
        }
      }
    },
  }
}
