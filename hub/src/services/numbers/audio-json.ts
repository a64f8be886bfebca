import type { Links } from '../../core/links.ts'
import type { numberAudio } from '../../db/schema/index.ts'
import { audioLink } from './number-json.ts'

type AudioRow = typeof numberAudio.$inferSelect

/** An uploaded MP3 as the API returns it; `url` streams it (GET /v1/numbers/:id/audio/:audio_id). */
export function toAudioJson(row: AudioRow, links: Links, numberId: number) {
  return {
    id: row.id,
    name: row.name,
    size: row.sizeBytes,
    duration_sec: row.durationMs === null ? null : Math.round(row.durationMs / 100) / 10,
    url: audioLink(links, numberId, row.id),
    created_at: row.createdAt.toISOString(),
  }
}
export type AudioJson = ReturnType<typeof toAudioJson>
