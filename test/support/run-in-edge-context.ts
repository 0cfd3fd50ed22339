// Runs an ES module (read from stdin) in a `node:vm` context whose globals are only web-standard ones,
// the way an edge runtime would: no `process`, `require`, `Buffer`, `global`, no string code generation.
// `@tokenwarden/core` resolves to the built core (packages/core/dist) and its relative chunks; any other
// import is refused. Prints one JSON line: `{ ok: true, result, modules }` (the module's `result` export
// and the file URLs it loaded) or `{ ok: false, error: { name, message } }`.
//
// Run: node --experimental-vm-modules --no-warnings test/support/run-in-edge-context.ts < scenario.js
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import vm from 'node:vm'

const coreEntry = import.meta.resolve('@tokenwarden/core')
const scenarioUrl = 'edge:scenario.js'

/** What a web-standard runtime (Cloudflare Workers, Vercel Edge, Deno Deploy) offers besides the JS built-ins. */
const webGlobals = {
  crypto: globalThis.crypto,
  console,
  queueMicrotask,
  structuredClone,
  TextEncoder,
  // Timers return numbers on the web, not Node `Timeout` objects.
  setTimeout: (handler: () => void, ms?: number) => Number(setTimeout(handler, ms)),
  clearTimeout: (id?: number) => clearTimeout(id),
}

const context = vm.createContext(webGlobals, {
  name: 'edge',
  codeGeneration: { strings: false, wasm: false },
})
// `Intl`, `Date`, `Math`, `JSON`, `Promise` … are the context's own built-ins.

const modules = new Map<string, vm.SourceTextModule>()

function load(url: string, source: string): vm.SourceTextModule {
  let module = modules.get(url)
  if (module === undefined) {
    module = new vm.SourceTextModule(source, { identifier: url, context })
    modules.set(url, module)
  }
  return module
}

function resolve(specifier: string, referrer: string): string {
  if (specifier === '@tokenwarden/core') return coreEntry
  if ((specifier.startsWith('./') || specifier.startsWith('../')) && referrer.startsWith('file:')) {
    const url = new URL(specifier, referrer).href
    if (url.startsWith(new URL('.', coreEntry).href)) return url
  }
  throw new Error(`the edge context cannot import "${specifier}" (from ${referrer})`)
}

async function run(): Promise<unknown> {
  const scenario = load(scenarioUrl, readFileSync(0, 'utf8'))
  await scenario.link((specifier, referrer) => {
    const url = resolve(specifier, referrer.identifier)
    return load(url, readFileSync(fileURLToPath(url), 'utf8'))
  })
  await scenario.evaluate()
  return (scenario.namespace as { result?: unknown }).result
}

try {
  const result = await run()
  const loaded = [...modules.keys()].filter((url) => url !== scenarioUrl)
  process.stdout.write(`${JSON.stringify({ ok: true, result, modules: loaded })}\n`)
} catch (error) {
  const { name, message } = error as Error
  process.stdout.write(`${JSON.stringify({ ok: false, error: { name, message } })}\n`)
}
