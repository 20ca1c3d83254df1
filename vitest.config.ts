import { defineConfig } from 'vitest/config';

// One timeout for `npm test` and a bare `npx vitest run`: the integration tests start processes, browsers and
// Redis, and on a busy 2-core machine a 5 s default failed tests that were only slow.
export default defineConfig({
  test: { testTimeout: 60_000, hookTimeout: 60_000 },
});
