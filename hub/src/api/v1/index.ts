import { createRouter } from '../context.ts'
import { companyRoutes } from './company/routes.ts'

/**
 * Every authenticated /v1 resource. Each resource folder owns its router; chaining keeps the
 * route types for the typed client (`hc<HubApi>`).
 */
export const v1Routes = createRouter().route('/', companyRoutes)

/** /v1 routes reachable without credentials (login, invitations, password reset). */
export const v1PublicRoutes = createRouter()
