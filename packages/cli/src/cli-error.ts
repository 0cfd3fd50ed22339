import { TokenwardenError } from '@tokenwarden/core'

const name = 'tokenwarden.error.cli'
const symbol = Symbol.for(name)

/**
 * An error the person running `tokenwarden` has to fix (bad option, unknown store URL, missing file,
 * invalid config) or a store that could not be read. The command prints `message` and exits with
 * `exitCode`: 2 for usage and input errors, 1 for a store that failed.
 *
 * @example
 * throw new CliError({ code: 'unknown_store', message: 'unknown store "mysql://…"', exitCode: 2 })
 */
export class CliError extends TokenwardenError {
  protected readonly [symbol] = true
  /** The process exit code: 2 for usage and input errors, 1 for runtime failures. */
  readonly exitCode: number

  constructor({
    code,
    message,
    exitCode = 2,
    cause,
  }: { code: string; message: string; exitCode?: number; cause?: unknown }) {
    super({ code, message, cause })
    this.name = 'CliError'
    this.exitCode = exitCode
  }

  static override isInstance(error: unknown): error is CliError {
    return TokenwardenError.hasMarker(error, name)
  }
}
