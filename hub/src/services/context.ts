import type { Actor } from '../core/actor.ts'
import type { Clock } from '../core/clock.ts'
import type { Links } from '../core/links.ts'
import type { Database } from '../db/client.ts'
import type { AssetUrlSigner } from '../telephony/audio/call-assets.ts'

/** The context services take: every query they run is scoped by companyId. */
export type ServiceContext = {
  db: Database
  companyId: number
  actor: Actor
  clock: Clock
  /** Absolute links of the resources in answers (direct_link…). */
  links: Links
  /** Signs the recording / voicemail links of Call objects (absent: calls show none). */
  callAssetUrl?: AssetUrlSigner
}
