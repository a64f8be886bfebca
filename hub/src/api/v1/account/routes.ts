import { createRouter } from '../../context.ts'

export const accountRoutes = createRouter()
