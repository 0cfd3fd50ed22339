import type { Priority } from './priority.ts'

/**
 * What `allocate` needs.
 *
 * @example
 * const request: AllocateRequest = { task: 'search', priority: 'HIGH', maxTokens: 8000 }
 * await scheduler.allocate('researcher', request)
 */
export interface AllocateRequest {
  task?: string
  /** @default 'NORMAL' */
  priority?: Priority
  /** The window wanted; less is granted when the pool is tight, down to the priority's minimum. */
  maxTokens?: number
}
