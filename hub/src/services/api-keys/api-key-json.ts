import type { apiKeys } from '../../db/schema/index.ts'

type ApiKeyRow = typeof apiKeys.$inferSelect

export const toApiKeyJson = (k: ApiKeyRow) => ({
  id: k.id,
  api_id: k.apiId,
  name: k.name,
  created_at: k.createdAt.toISOString(),
  last_used_at: k.lastUsedAt?.toISOString() ?? null,
})
