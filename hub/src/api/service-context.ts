import type { Context } from 'hono'
import { urlSigningSecret } from '../blobs/url-signing-secret.ts'
import { createLinks } from '../core/links.ts'
import type { ServiceContext } from '../services/context.ts'
import { type AssetUrlSigner, callAssetSigner } from '../telephony/audio/call-assets.ts'
import type { AppEnv } from './context.ts'
import { publicBase } from './pagination.ts'

export function serviceContext(c: Context<AppEnv>): ServiceContext {
  const { db, clock, env } = c.var.deps
  const base = publicBase(c)
  // Built on first use: most requests return no call.
  let signer: AssetUrlSigner | undefined
  return {
    db,
    clock,
    actor: c.var.actor,
    companyId: c.var.actor.companyId,
    links: createLinks(base),
    callAssetUrl: (companyId, blobKey) => {
      signer ??= callAssetSigner({ secret: urlSigningSecret(env), base, now: () => clock.now() })
      return signer(companyId, blobKey)
    },
  }
}
