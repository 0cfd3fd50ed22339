#!/usr/bin/env bash
# A new user's first steps, outside the monorepo, from the packed tarballs (what the registry would
# serve): npm install them with the frameworks, type-check the README's quick start as .ts and the
# README snippets as a CommonJS .cts, run the quick start against the public test server, and run the
# CLI on the store the cli-walkthrough example leaves. Needs built packages; run from the repo root.
set -euo pipefail
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

pnpm --silent pack:public "$work/tarballs" >/dev/null
mkdir "$work/app"
cd "$work/app"
npm init -y >/dev/null
npm pkg set type=module
echo "installing $(ls "$work/tarballs" | wc -l) tarballs with ai 7, @ai-sdk/openai 4, openai 7, @anthropic-ai/sdk 1, @openai/agents 0.20, @langchain/core 1"
npm install --no-audit --no-fund --silent "$work"/tarballs/*.tgz \
  ai@^7 @ai-sdk/openai@^4 openai@^7 @anthropic-ai/sdk@^1 @openai/agents@^0.20 @langchain/core@^1 typescript@~6.0.3 @types/node@^24

# The quick start exactly as the README shows it: the first ts block after its heading.
awk '/^## Quick start/{q=1} q&&/^```ts$/{c=1;next} c&&/^```$/{exit} c' "$root/README.md" > index.ts
grep -q "budgetMiddleware" index.ts || { echo "error: the README's quick start snippet was not found" >&2; exit 1; }
cp "$root/test/commonjs/readme-snippets.cts" snippets.cts
cat > tsconfig.json <<'EOF'
{
  "compilerOptions": {
    "module": "nodenext",
    "target": "ES2023",
    "lib": ["ES2023", "DOM"],
    "strict": true,
    "skipLibCheck": true,
    "noEmit": true,
    "types": ["node"]
  },
  "files": ["index.ts", "snippets.cts"]
}
EOF
echo "type-checking the quick start (.ts, ESM) and the README snippets (.cts, CommonJS)"
npx tsc -p tsconfig.json

echo "running the quick start against @tokenwarden/openai-test-server"
cat > run-quick-start.mjs <<'EOF'
import { execFile } from 'node:child_process'
import { startOpenAITestServer } from '@tokenwarden/openai-test-server'

// the server answers in this process: the quick start runs as a child, asynchronously
const runNode = (file, env) =>
  new Promise((resolve) => {
    execFile(process.execPath, [file], { env, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ status: error ? (error.code ?? 1) : 0, stdout, stderr }),
    )
  })

const server = await startOpenAITestServer({
  respond: () => ({ text: 'Hi!', usage: { inputTokens: 12, outputTokens: 3 } }),
})
const run = await runNode('index.ts', { ...process.env, OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'test' })
const requests = server.requests.length
await server.close()
process.stdout.write(run.stdout)
process.stderr.write(run.stderr)
if (run.status !== 0 || !run.stdout.includes('Hi!') || !run.stdout.includes('(15/10,000 tokens)') || requests !== 1) {
  console.error(`error: the quick start did not run as the README says (exit ${run.status}, ${requests} requests)`)
  process.exit(1)
}
EOF
node run-quick-start.mjs

echo "running the CLI on the cli-walkthrough example's store"
(cd "$root/examples/cli-walkthrough" && node index.ts >/dev/null)
store="sqlite:$root/examples/cli-walkthrough/.tokenwarden/budget.db"
config="$root/examples/cli-walkthrough/.tokenwarden/budget.config.json"
npx tokenwarden status --store "$store" --config "$config" | tee status.txt
grep -q "agent" status.txt || { echo "error: tokenwarden status showed no agent limit" >&2; exit 1; }
npx tokenwarden top --store "$store" --by agent >/dev/null
echo "fresh project: ok"
