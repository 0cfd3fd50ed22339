/**
 * How urgent an agent's work is. Each priority has a minimum grant: a smaller window is refused.
 * CRITICAL may draw on the scheduler's critical reserve, so it gets its grant even when the pool is tight.
 *
 * @example
 * await scheduler.allocate('planner', { task: 'plan', priority: Priority.CRITICAL })
 */
export const Priority = {
  CRITICAL: 'CRITICAL',
  HIGH: 'HIGH',
  NORMAL: 'NORMAL',
  LOW: 'LOW',
} as const

/** One of {@link Priority}. */
export type Priority = (typeof Priority)[keyof typeof Priority]

/**
 * The smallest window each priority accepts (tokens).
 *
 * @example
 * minimumGrants.LOW // 500
 */
export const minimumGrants: Readonly<Record<Priority, number>> = Object.freeze({
  CRITICAL: 4000,
  HIGH: 2000,
  NORMAL: 1000,
  LOW: 500,
})
