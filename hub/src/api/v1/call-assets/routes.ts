import { createRoute, z } from '@hono/zod-openapi'
import { urlSigningSecret } from '../../../blobs/url-signing-secret.ts'
import { DomainError } from '../../../core/errors.ts'
import { readCallAsset, verifyAssetUrl } from '../../../telephony/audio/call-assets.ts'
import { createRouter } from '../../context.ts'
import { errorResponse } from '../../openapi.ts'

const binary = z.string().openapi({ format: 'binary' })

/** Signed, expiring download links of recordings and voicemails (telephony/audio/call-assets.ts). */
export const callAssetsRoutes = createRouter().openapi(
  createRoute({
    method: 'get',
    path: '/call-assets/{company_id}/{call_id}/{file}',
    tags: ['Calls'],
    summary: 'Download a recording or voicemail through its signed URL',
    description:
      'The `recording` and `voicemail` links of a call point here. They need no credentials and ' +
      'work until `expires` (UNIX seconds); a link edited in any part, or expired, answers 403.',
    request: {
      params: z.object({ company_id: z.string(), call_id: z.string(), file: z.string() }),
      query: z.object({ expires: z.string().optional(), signature: z.string().optional() }),
    },
    responses: {
      200: { description: 'The MP3 file', content: { 'audio/mpeg': { schema: binary } } },
      403: errorResponse('The link is expired, or not one the hub signed'),
      404: errorResponse('No such file (never stored, or deleted since)'),
    },
  }),
  async (c) => {
    const deps = c.var.deps
    const params = c.req.valid('param')
    const query = c.req.valid('query')
    const now = deps.clock.now()
    const check = verifyAssetUrl({
      secret: urlSigningSecret(deps.env),
      companyId: params.company_id,
      callId: params.call_id,
      file: params.file,
      expires: query.expires,
      signature: query.signature,
      now,
    })
    if (!check.ok) {
      if (check.reason === 'expired') throw new DomainError('forbidden', 'This link has expired')
      if (check.reason === 'bad_signature') throw new DomainError('forbidden', 'This link is not valid')
      throw new DomainError('not_found', 'Not Found')
    }
    const blob = await readCallAsset(deps.blobs, check.blobKey)
    if (!blob) throw new DomainError('not_found', 'This file was deleted')
    const maxAge = Math.max(0, Math.floor(Number(query.expires) - now.getTime() / 1000))
    return c.body(new Uint8Array(blob.bytes), 200, {
      'content-type': 'audio/mpeg',
      'content-length': String(blob.size),
      'content-disposition': `inline; filename="${params.file}"`,
      // The link is the credential: caches may keep the file only as long as the link lives.
      'cache-control': `private, max-age=${maxAge}`,
    })
  },
)
