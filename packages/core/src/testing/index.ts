export { type FleetWorkerConfig, type FleetWorkerMessage, runFleetWorker } from './fleet-worker.ts'
export { type ForkedWorker, forkWorker } from './fork-worker.ts'
export { inMemoryBodies } from './in-memory-bodies.ts'
export { isCollected } from './is-collected.ts'
