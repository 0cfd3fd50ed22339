// A Cloudflare Worker (bundled by runtimes.e2e.test.ts and run by miniflare in workerd): every request
// runs the scenario and answers its result as JSON.
import { runScenario } from './scenario.ts'

export default {
  async fetch(): Promise<Response> {
    return Response.json(await runScenario())
  },
}
