// Forked by sqlite-fleet.test.ts: node sqlite-fleet-worker.ts <file> <config json>
import { sqliteStore } from '../sqlite-store.ts'
import { type FleetWorkerConfig, runFleetWorker } from './fleet-worker.ts'

const [path, config] = process.argv.slice(2)
await runFleetWorker(
  JSON.parse(config!) as FleetWorkerConfig,
  sqliteStore({ path: path!, busyTimeoutMs: 30_000 }),
)
process.disconnect?.()
