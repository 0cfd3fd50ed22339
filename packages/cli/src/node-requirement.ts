/** The lowest Node.js the command runs on (its `engines.node`): `node:sqlite` with `setReturnArrays`. */
export const requiredNode = '22.16.0'

/**
 * The one-line message `tokenwarden` prints instead of running on a Node.js older than
 * {@link requiredNode}, or `undefined` when `version` (e.g. `process.versions.node`) is recent enough.
 *
 * @example
 * unsupportedNodeMessage('22.12.0') // 'tokenwarden needs Node.js 22.16.0 or later; this is Node.js 22.12.0'
 */
export function unsupportedNodeMessage(version: string): string | undefined {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map((part) => Number.parseInt(part, 10))
  const [needMajor, needMinor, needPatch] = requiredNode.split('.').map(Number) as [number, number, number]
  const recentEnough =
    major !== needMajor ? major > needMajor : minor !== needMinor ? minor > needMinor : patch >= needPatch
  return recentEnough
    ? undefined
    : `tokenwarden needs Node.js ${requiredNode} or later; this is Node.js ${version}`
}
