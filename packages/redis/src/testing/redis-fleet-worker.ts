// Forked by redis-fleet.test.ts: node redis-fleet-worker.ts <url> <prefix> <config json>

import { type FleetWorkerConfig, runFleetWorker } from '@tokenwarden/core/testing'
import { redisStore } from '../redis-store.ts'

const [url, prefix, config] = process.argv.slice(2)
await runFleetWorker(JSON.parse(config!) as FleetWorkerConfig, redisStore({ url: url!, prefix: prefix! }))
process.disconnect?.()
