import { createRoute } from '@hono/zod-openapi'
import { previewNumber } from '../../../services/numbers/number-preview.ts'
import { createRouter } from '../../context.ts'
import { requireAdmin } from '../../middleware/auth.ts'
import { errorResponses, idParams, json, jsonBody, security } from '../../openapi.ts'
import { serviceContext } from '../../service-context.ts'
import { tags } from './route-deps.ts'
import { previewRequestSchema, previewResponseSchema } from './schemas.ts'

/** The routing preview: the path a call would take, explained, without placing it. */
export const previewRoutes = createRouter().openapi(
  createRoute({
    method: 'post',
    path: '/numbers/{id}/preview',
    tags,
    security,
    middleware: [requireAdmin],
    summary: 'The path a call would take, step by step, without placing it',
    description:
      'Drives the real router: prompts play to the end (text-to-speech ≈ 15 characters a second), ' +
      'the caller presses `digits` at each menu, and nobody answers. The blacklist applies.',
    request: { params: idParams, body: jsonBody(previewRequestSchema) },
    responses: { 200: json(previewResponseSchema, 'The explained path'), ...errorResponses },
  }),
  async (c) =>
    c.json(await previewNumber(serviceContext(c), c.req.valid('param').id, c.req.valid('json')), 200),
)
