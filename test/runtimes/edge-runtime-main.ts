// Run by Node (`node edge-runtime-main.ts <bundle.js>`): evaluates the scenario's IIFE bundle in Vercel's
// edge-runtime (`EdgeRuntime`, web-standard globals only) and prints its result as JSON. The process must
// then exit on its own: a timer left running inside the runtime would hold it open.
import { readFileSync } from 'node:fs'
import { EdgeRuntime } from 'edge-runtime'

const runtime = new EdgeRuntime({ initialCode: readFileSync(process.argv[2]!, 'utf8') })
const result: string = await runtime.evaluate('tokenwardenScenario.runScenario().then(JSON.stringify)')
console.log(result)
