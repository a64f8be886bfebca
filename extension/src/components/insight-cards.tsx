import type { ExtensionState } from '@switchboard/shared'
import { t } from '../lib/i18n.ts'

/**
 * The insight cards an integration posted for the call (`POST /v1/calls/:id/insight_cards`):
 * titles and labelled short texts, each linking out in a new tab when it carries a link (the
 * hub and the schema take http(s) links only).
 */
export function InsightCards({ cards }: { cards: ExtensionState['insight_cards'] }) {
  if (cards.length === 0) return null
  return (
    <section id="insight-cards" className="insights" aria-label={t('insightCards')}>
      {cards.map((card, i) => (
        // Cards have no id and are only appended: their place is their identity.
        <div className="insight-card" key={i}>
          {card.contents.map((item, j) => {
            const body = item.link ? (
              <a href={item.link} target="_blank" rel="noopener noreferrer">
                {item.text}
              </a>
            ) : (
              item.text
            )
            return item.type === 'title' ? (
              <p className="insight-title" key={j}>
                {body}
              </p>
            ) : (
              <p className="insight-text" key={j}>
                <span className="muted">{item.label}</span> {body}
              </p>
            )
          })}
        </div>
      ))}
    </section>
  )
}
