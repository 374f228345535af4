import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Child processes, not worker threads: the daemon sets process.umask() and loads native addons.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
