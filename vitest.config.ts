import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['{shared,connectors,hub,extension}/{src,test}/**/*.test.{ts,tsx}'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
