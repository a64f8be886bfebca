import { createRouter } from '../../context.ts'
import { audioRoutes } from './audio-routes.ts'
import { numberRoutes } from './number-routes.ts'
import { previewRoutes } from './preview-routes.ts'
import { provisioningRoutes } from './provisioning-routes.ts'
import { settingsRoutes } from './settings-routes.ts'

/**
 * /v1/numbers, one file per concern. Paths without an id (`/numbers/pricing`, `/numbers/references`)
 * are mounted before `/numbers/{id}` would claim them.
 */
export const numbersRoutes = createRouter()
  .route('/', provisioningRoutes)
  .route('/', audioRoutes)
  .route('/', settingsRoutes)
  .route('/', previewRoutes)
  .route('/', numberRoutes)
