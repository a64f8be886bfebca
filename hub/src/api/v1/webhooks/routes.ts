import { createRouter } from '../../context.ts'

export const webhooksRoutes = createRouter()
