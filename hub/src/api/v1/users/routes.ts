import { createRouter } from '../../context.ts'

export const usersRoutes = createRouter()
