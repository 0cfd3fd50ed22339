// Run directly by Bun and Deno (`bun main.ts`, `deno run main.ts`): prints the scenario's result as JSON.
import { runScenario } from './scenario.ts'

console.log(JSON.stringify(await runScenario()))
