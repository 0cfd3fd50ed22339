// The agents-core and agents-openai projects of vitest.config.ts, with tw-setup.ts and the aliases of
// the tokenwarden adapter (tw/index.js, the built dist): @openai/agents is the suite's own agents-core.
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import {
  createWorkspacePackageAliases,
  readWorkspacePackages,
} from './helpers/vitest/workspacePackageAliases'

const rootDir = dirname(fileURLToPath(import.meta.url))
const tokenwarden = process.env.TOKENWARDEN ?? 'TOKENWARDEN'
const workspacePackages = readWorkspacePackages(resolve(rootDir, 'packages')).filter(({ name }) =>
  ['@openai/agents-core', '@openai/agents-openai'].includes(name),
)
const aliases = {
  '@tokenwarden/core/adapter': `${tokenwarden}/packages/core/dist/adapter/index.js`,
  '@tokenwarden/core': `${tokenwarden}/packages/core/dist/index.js`,
  '@openai/agents': resolve(rootDir, 'tw/agents-shim.ts'),
  ...createWorkspacePackageAliases(workspacePackages),
}

export default defineConfig(() => {
  process.env.NODE_ENV = 'test'
  process.env.OPENAI_AGENTS_TEST_PROFILE = 'full'
  process.env.CI = '1'
  return {
    test: {
      pool: 'threads',
      maxWorkers: 2,
      projects: workspacePackages.map(({ name, root }) => ({
        root,
        resolve: { alias: aliases },
        test: {
          setupFiles: [resolve(rootDir, 'helpers/tests/console-guard.ts'), resolve(rootDir, 'tw-setup.ts')],
          globalSetup: resolve(rootDir, 'helpers/tests/setup.ts'),
          alias: aliases,
          name,
        },
      })),
    },
  }
})
