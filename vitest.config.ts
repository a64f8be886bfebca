import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['{shared,connectors,hub,extension}/{src,test}/**/*.test.{ts,tsx}'],
    // hub/test/scale/: processes on the PostgreSQL and Redis of the scale run (vitest.scale.config.ts).
    exclude: ['hub/test/scale/**', '**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
