import type { Links } from '../../core/links.ts'
import type { tags } from '../../db/schema/index.ts'

export type TagRow = typeof tags.$inferSelect

export type TagResource = {
  id: number
  direct_link: string
  name: string
  color: string
  description: string | null
}

export function toTagJson(tag: TagRow, links: Links): TagResource {
  return {
    id: tag.id,
    direct_link: links.tag(tag.id),
    name: tag.name,
    color: tag.color,
    description: tag.description,
  }
}
