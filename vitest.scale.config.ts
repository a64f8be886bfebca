import { defineConfig } from 'vitest/config'

/**
 * The "scale" run: the hub's tests again, against a real PostgreSQL and Redis that the global
 * setup starts from the Debian packages (SB_TEST_DATABASE_URL / SB_TEST_REDIS_URL). The
 * end-to-end and browser tests drive the embedded product and run only in the embedded run.
 */
export default defineConfig({
  test: {
    include: ['hub/{src,test}/**/*.test.ts'],
    exclude: ['hub/test/e2e/**', 'hub/test/browser/**', 'hub/test/layers/**', '**/node_modules/**'],
    globalSetup: ['hub/test/setup/scale-services.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
