// Forked by redis-fleet.test.ts: node redis-fleet-worker.ts <url> <prefix> <config json>
import { redisStore } from '../redis-store.ts'
import { type FleetWorkerConfig, runFleetWorker } from './fleet-worker.ts'

const [url, prefix, config] = process.argv.slice(2)
await runFleetWorker(JSON.parse(config!) as FleetWorkerConfig, redisStore({ url: url!, prefix: prefix! }))
process.disconnect?.()
