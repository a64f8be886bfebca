import { createRouter } from '../../context.ts'

export const teamsRoutes = createRouter()
