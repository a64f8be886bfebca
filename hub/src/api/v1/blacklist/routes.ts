import { createRouter } from '../../context.ts'

export const blacklistRoutes = createRouter()
