import { createRouter } from '../../context.ts'

export const numberVerificationRoutes = createRouter()
