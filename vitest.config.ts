import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    // The corpus and fuzz suites decode hundreds of files; the default 5 s is too tight on 2 cores.
    testTimeout: 60_000,
    pool: 'forks',
    // Loads the SIMD kernels in each test process, as the library and CLI entries do.
    setupFiles: ['test/setup.ts'],
  },
});
