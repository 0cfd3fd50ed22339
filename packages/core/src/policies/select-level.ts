/**
 * The level a usage has reached: among `levels`, the one with the highest `atUsage` that `usage`
 * reaches (`usage >= atUsage`), or `undefined` below every level.
 *
 * @example
 * selectLevel([{ atUsage: 0.7, name: 'moderate' }, { atUsage: 0.9, name: 'aggressive' }], 0.93)?.name // 'aggressive'
 */
export function selectLevel<Level extends { atUsage: number }>(
  levels: readonly Level[],
  usage: number,
): Level | undefined {
  let selected: Level | undefined
  for (const level of levels) {
    if (usage >= level.atUsage && (selected === undefined || level.atUsage >= selected.atUsage)) {
      selected = level
    }
  }
  return selected
}
