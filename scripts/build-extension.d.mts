export const EXTENSION_BUILD: string
export function ensureExtensionBuild(options?: { log?: (line: string) => void }): string
