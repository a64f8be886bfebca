/** Something the operator typed is wrong: sb prints it with a hint to --help and exits 2. */
export class UsageError extends Error {}
