import { defineConfig } from 'vitest/config'

// Workspace packages resolve to their TypeScript sources (the `@tokenwarden/source` export condition), so
// the tests need no build of the packages they import; child processes (the CLI, fleet workers, other
// runtimes) still load the built `dist`.
const conditions = ['@tokenwarden/source', 'module', 'node', 'development|production']

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
