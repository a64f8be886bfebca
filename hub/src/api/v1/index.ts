import { createRouter } from '../context.ts'
import { accountRoutes } from './account/routes.ts'
import { apiKeysRoutes } from './api-keys/routes.ts'
import { authRoutes } from './auth/routes.ts'
import { blacklistRoutes } from './blacklist/routes.ts'
import { callAssetsRoutes } from './call-assets/routes.ts'
import { callbackTasksRoutes } from './callback-tasks/routes.ts'
import { callerInfoRoutes } from './caller-info/routes.ts'
import { callsRoutes } from './calls/routes.ts'
import { companyRoutes } from './company/routes.ts'
import { contactsRoutes } from './contacts/routes.ts'
import { createOauthRoutes } from './integrations/oauth-routes.ts'
import { integrationsRoutes } from './integrations/routes.ts'
import { numberVerificationRoutes } from './number-verification/routes.ts'
import { numbersRoutes } from './numbers/routes.ts'
import { sandboxRoutes } from './sandbox/routes.ts'
import { tagsRoutes } from './tags/routes.ts'
import { teamsRoutes } from './teams/routes.ts'
import { usersRoutes } from './users/routes.ts'
import { webhooksRoutes } from './webhooks/routes.ts'

/**
 * Every authenticated /v1 resource. Each resource folder owns its router; chaining keeps the
 * route types for the typed client (`hc<HubApi>`).
 */
export const v1Routes = createRouter()
  .route('/', companyRoutes)
  .route('/', usersRoutes)
  .route('/', teamsRoutes)
  .route('/', contactsRoutes)
  .route('/', tagsRoutes)
  .route('/', blacklistRoutes)
  .route('/', webhooksRoutes)
  .route('/', apiKeysRoutes)
  .route('/', numbersRoutes)
  .route('/', numberVerificationRoutes)
  .route('/', accountRoutes)
  .route('/', sandboxRoutes)
  .route('/', callsRoutes)
  .route('/', callbackTasksRoutes)
  .route('/', callerInfoRoutes)
  .route('/', integrationsRoutes)

/**
 * Routes reachable without credentials: /v1/auth/* (login, invitations, password reset), the
 * signed download links of /v1/call-assets/* (the signature is the credential), and the OAuth
 * callback and sandbox consent page of integrations (the one-time state is the credential).
 */
export const v1PublicRoutes = createRouter()
  .route('/', authRoutes)
  .route('/', callAssetsRoutes)
  .route('/', createOauthRoutes())
