#!/usr/bin/env bash
# Runs the packages' tests on the lowest Node.js each one supports (its engines.node), after .ci/run ran
# them on Node 24. Needs a build (the CLI tests and child processes load dist). Vitest 5 itself runs on
# both versions. Run from .ci/run, or alone after `pnpm build`: bash .ci/test-lowest-node.sh
#   Node 22.16.0 — @tokenwarden/sqlite and @tokenwarden/cli (node:sqlite with setReturnArrays), and the
#                  stores' multi-process tests (their workers are .ts files: type stripping, flagged here)
#   Node 22.0.0  — core, prices, ai-sdk, openai, anthropic, openai-agents, langchain, observability, redis (every test but the
#                  multi-process ones), and that the SQLite store and the CLI refuse it with one clear line
set -euo pipefail
cd "$(dirname "$0")/.."
source .ci/setup-env.sh

vitest=node_modules/vitest/vitest.mjs
for version in 22.16.0 22.0.0; do tokenwarden_install_node "$version"; done
node_22_16="$CACHE_DIR/node-22.16.0/bin/node"
node_22_0="$CACHE_DIR/node-22.0.0/bin/node"

echo "== Node $("$node_22_16" --version): sqlite, cli, multi-process store tests"
"$node_22_16" "$vitest" run packages/sqlite packages/cli packages/redis/src/redis-fleet.test.ts

echo "== Node $("$node_22_0" --version): core, prices, adapters, observability, redis"
"$node_22_0" "$vitest" run packages/core packages/prices packages/ai-sdk packages/openai packages/anthropic packages/openai-agents packages/langchain \
  packages/observability packages/redis --exclude '**/*-fleet.test.ts'

echo "== Node $("$node_22_0" --version): the SQLite store and the CLI refuse it clearly"
refusal=$(cd test && "$node_22_0" --input-type=module -e "
  import { sqliteStore, } from '@tokenwarden/sqlite'
  try { sqliteStore({ path: 'never-created.db', failOpen: true }) } catch (error) { console.log(error.code + ': ' + error.message); process.exit(0) }
  console.log('sqliteStore() did not refuse Node ' + process.versions.node); process.exit(1)")
echo "$refusal"
[ "$refusal" = "unsupported_runtime: [tokenwarden] [sqlite] needs Node.js ≥ 22.16.0; this is Node.js 22.0.0 (process.getBuiltinModule is missing)" ]
set +e
cli_stderr=$("$node_22_0" packages/cli/dist/cli.js status --store sqlite:never-created.db 2>&1 >/dev/null)
cli_code=$?
set -e
echo "$cli_stderr (exit $cli_code)"
[ "$cli_stderr" = "tokenwarden needs Node.js 22.16.0 or later; this is Node.js 22.0.0" ] && [ "$cli_code" = 1 ]
