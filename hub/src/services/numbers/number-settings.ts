/**
 * The routing configuration of a number as stored (numbers.settings). The numbers work
 * replaces this placeholder with the zod schema and its validation.
 */
export type NumberSettings = Record<string, unknown>
