import { createRouter } from '../../context.ts'

export const numbersRoutes = createRouter()
