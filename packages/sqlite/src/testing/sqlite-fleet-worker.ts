// Forked by sqlite-fleet.test.ts: node sqlite-fleet-worker.ts <file> <config json>

import { type FleetWorkerConfig, runFleetWorker } from '@tokenwarden/core/testing'
import { sqliteStore } from '../sqlite-store.ts'

const [path, config] = process.argv.slice(2)
await runFleetWorker(
  JSON.parse(config!) as FleetWorkerConfig,
  sqliteStore({ path: path!, busyTimeoutMs: 30_000 }),
)
process.disconnect?.()
