// Run by Bun with a Redis URL (`bun redis-main.ts redis://127.0.0.1:6390 <prefix>`): the scenario on the
// Redis store, printed as JSON.
import { redisStore } from '@tokenwarden/redis'
import { runScenario } from './scenario.ts'

const [url, prefix] = process.argv.slice(2)
console.log(
  JSON.stringify(await runScenario({ store: () => redisStore({ url: url!, prefix: prefix! }), prefix })),
)
