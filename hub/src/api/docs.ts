import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { Hono } from 'hono'

// The package's folder, found without loading its index: that would load the 1.5 MB
// swagger-ui-bundle.js into the hub at every start only to learn where the files are.
const assetsDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'))

const assets: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
}

/** The interactive API reference, served from the swagger-ui-dist package: no CDN needed. */
export function createDocsRoutes() {
  return new Hono()
    .get('/docs', (c) =>
      c.html(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Switchboard API reference</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>window.ui = SwaggerUIBundle({ url: '/v1/openapi.json', dom_id: '#ui', deepLinking: true })</script>
</body></html>`),
    )
    .get('/docs/assets/:file', async (c) => {
      const file = c.req.param('file')
      const type = assets[file]
      if (!type) return c.json({ message: 'Not Found', code: 'not_found' }, 404)
      const body = await readFile(join(assetsDir, file))
      return c.body(body, 200, { 'content-type': type, 'cache-control': 'public, max-age=86400' })
    })
}
