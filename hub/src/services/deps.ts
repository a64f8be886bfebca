import type { BlobStore } from '../blobs/blob-store.ts'
import type { Clock } from '../core/clock.ts'
import type { Logger } from '../core/logger.ts'
import type { Database } from '../db/client.ts'
import type { Env } from '../env.ts'
import type { JobQueue } from '../jobs/queue.ts'
import type { Mailer } from '../mail/mailer.ts'
import type { CallControl } from '../telephony/carrier/call-control.ts'
import type { Carrier } from '../telephony/carrier/carrier.ts'
import type {
  AgentChannel,
  CallerCardPort,
  PresenceDirectory,
  UserEventRecorder,
} from '../telephony/engine/ports.ts'
import type { WorldCache } from '../telephony/routing-world.ts'
import type { CallerInfo } from './caller-info/caller-info.ts'
import type { CallAdmission } from './calls/call-admission.ts'

/** The infrastructure a hub runs on; tests pass embedded drivers and a fake clock. */
export type HubDeps = {
  env: Env
  db: Database
  queue: JobQueue
  clock: Clock
  logger: Logger
  mailer: Mailer
  blobs: BlobStore
  /** Provisions and releases phone numbers: the sandbox carrier, or the Twilio gateway. */
  carrier: Carrier
  /** Drives live calls: the sandbox's in-process call control, or the Twilio gateway. */
  callControl: CallControl
  /** Reaches agents' clients (the realtime channel); the engine calls it after each commit. */
  agentChannel: AgentChannel
  /** Who is online (connected clients), shared across hub processes. */
  presence: PresenceDirectory
  /** Records the user.* events the call engine decides (services/users/user-event-recorder.ts). */
  userEvents: UserEventRecorder
  /** Companies' routing worlds kept between call events, checked against their routing version. */
  worldCache: WorldCache
  /** Caller lookups' options and cache (services/caller-info). */
  callerInfo: CallerInfo
  /** Sends ringing agents the caller card (services/caller-info/ringing-cards.ts); absent: none. */
  callerCards?: CallerCardPort
  /** Whether a new call is let in (services/calls/call-admission.ts); absent: every call is. */
  callAdmission?: CallAdmission
}
