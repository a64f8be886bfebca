import { createRouter } from '../../context.ts'

export const apiKeysRoutes = createRouter()
