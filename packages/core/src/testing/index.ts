export { type FleetWorkerConfig, type FleetWorkerMessage, runFleetWorker } from './fleet-worker.ts'
export { type ForkedWorker, forkWorker } from './fork-worker.ts'
export { isCollected } from './is-collected.ts'
