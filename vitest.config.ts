import { defineConfig } from 'vitest/config';

// Each test file gets its own database (in-memory PGlite, or a fresh PostgreSQL database when
// DATABASE_URL is set); two files at a time fit this 2-core machine.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
