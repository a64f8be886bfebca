import { createRouter } from '../../context.ts'

export const authRoutes = createRouter()
