import { and, eq, inArray, isNull } from 'drizzle-orm'
import type { Clock } from '../../core/clock.ts'
import { badRequest } from '../../core/errors.ts'
import type { Queryable } from '../../db/client.ts'
import { numbers, users } from '../../db/schema/index.ts'
import { isNumberActive } from '../../telephony/number-active.ts'
import { teamMembersOf } from '../numbers/number-hydrate.ts'
import { assignedTeamIds, assignedUserIds } from '../numbers/number-rules.ts'

/**
 * The two numbers of a user's call preferences (the profile's call preferences):
 *
 * - `caller_id_number_id`, "identité de l'appelant": the number displayed when a call is
 *   forwarded to the user's external phone ("Définir le numéro à afficher si le transfert
 *   externe est activé"). It only labels the forwarded leg, so any live number of the company
 *   will do; the user need not be assigned to it.
 * - `default_number_id`, "numéro par défaut": the line the user calls out with. The guide's
 *   field reads "L'utilisateur n'est pas encore affecté…" until the user is assigned to a
 *   number, so it must be a number the user is assigned to (a distribution step, a team of a
 *   step, or outbound-only) at the time it is set. A user just created is assigned to none.
 *   Taken off it later, the user calls out with a number they still have (defaultNumberOf,
 *   user-json.ts); the choice is kept.
 *
 * Both must be live: a number whose documents wait for review or were rejected can neither
 * place nor show on a call (number-active.ts), so it is refused (400 naming the field, saying
 * why). Another company's number or a released one is refused like a missing id. Releasing a
 * number clears both fields of every user that named it (forgetNumberInProfiles, called in the
 * deleting transaction).
 */
export type NumberPrefsInput = {
  caller_id_number_id?: number | null
  default_number_id?: number | null
}

export async function checkNumberPrefs(
  db: Queryable,
  companyId: number,
  /** null while creating the user. */
  userId: number | null,
  input: NumberPrefsInput,
): Promise<void> {
  const callerId = input.caller_id_number_id ?? null
  const defaultId = input.default_number_id ?? null
  const ids = [...new Set([callerId, defaultId].filter((id): id is number => id !== null))]
  if (ids.length === 0) return
  const rows = await db
    .select({
      id: numbers.id,
      type: numbers.type,
      settings: numbers.settings,
      verificationState: numbers.verificationState,
    })
    .from(numbers)
    .where(and(eq(numbers.companyId, companyId), inArray(numbers.id, ids), isNull(numbers.releasedAt)))
    // Held until the user is written: a concurrent release waits, then clears the reference.
    .for('share')
  const byId = new Map(rows.map((r) => [r.id, r]))
  const live = (field: string, id: number) => {
    const row = byId.get(id)
    if (!row) throw badRequest(field, `number ${id} does not exist`)
    if (!isNumberActive(row)) {
      const why =
        row.verificationState === 'rejected'
          ? 'its verification documents were rejected'
          : 'its verification documents are not approved yet'
      throw badRequest(field, `number ${id} is not live: ${why}`)
    }
    return row
  }
  if (callerId !== null) live('caller_id_number_id', callerId)
  if (defaultId === null) return
  const row = live('default_number_id', defaultId)
  const members = await teamMembersOf(db, companyId, assignedTeamIds(row))
  if (userId === null || !assignedUserIds(row, members).includes(userId)) {
    throw badRequest(
      'default_number_id',
      `the user is not assigned to number ${defaultId}; assign them to it (distribution, team or outbound-only) first`,
    )
  }
}

/** Users of the company whose caller ID or default number was `numberId` get null instead. */
export async function forgetNumberInProfiles(
  tx: Queryable,
  ctx: { companyId: number; clock: Clock },
  numberId: number,
): Promise<void> {
  const updatedAt = ctx.clock.now()
  await tx
    .update(users)
    .set({ callerIdNumberId: null, updatedAt })
    .where(and(eq(users.companyId, ctx.companyId), eq(users.callerIdNumberId, numberId)))
  await tx
    .update(users)
    .set({ defaultNumberId: null, updatedAt })
    .where(and(eq(users.companyId, ctx.companyId), eq(users.defaultNumberId, numberId)))
}
