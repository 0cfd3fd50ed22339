import { CliError } from './cli-error.ts'

/** A store the CLI can open, parsed from `--store`. */
export type StoreLocation =
  | { kind: 'sqlite'; path: string; display: string }
  | { kind: 'redis'; url: string; display: string }

/**
 * Parses a `--store` value: `sqlite:PATH` (also `sqlite://PATH`) or `redis://…` / `rediss://…`. `display`
 * is safe to print: the Redis password is replaced by `***`. Throws a {@link CliError} (exit code 2) for
 * anything else.
 *
 * @example
 * parseStoreUrl('sqlite:./budget.db') // { kind: 'sqlite', path: './budget.db', display: 'sqlite:./budget.db' }
 * parseStoreUrl('redis://:s3cret@127.0.0.1:6379').display // 'redis://:***@127.0.0.1:6379'
 */
export function parseStoreUrl(value: string | undefined): StoreLocation {
  if (value === undefined || value.trim() === '') {
    throw new CliError({
      code: 'missing_store',
      message: 'missing --store: give sqlite:PATH or redis://HOST:PORT (or set TOKENWARDEN_STORE)',
    })
  }
  const text = value.trim()
  if (text.startsWith('sqlite:')) {
    const path = text.slice('sqlite:'.length).replace(/^\/\/(?=[./~]|[A-Za-z]:)/, '')
    if (path === '') {
      throw new CliError({ code: 'invalid_store', message: 'invalid --store: sqlite: needs a file path' })
    }
    return { kind: 'sqlite', path, display: `sqlite:${path}` }
  }
  if (text.startsWith('redis://') || text.startsWith('rediss://')) {
    let url: URL
    try {
      url = new URL(text)
    } catch (cause) {
      throw new CliError({
        code: 'invalid_store',
        message: `invalid --store: not a valid Redis URL (${redactUrl(text)})`,
        cause,
      })
    }
    if (url.hostname === '') {
      throw new CliError({ code: 'invalid_store', message: 'invalid --store: the Redis URL has no host' })
    }
    return { kind: 'redis', url: text, display: redactUrl(text) }
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text)?.[1]
  throw new CliError({
    code: 'unknown_store',
    message: `unknown store ${scheme === undefined ? JSON.stringify(redactUrl(text)) : `scheme "${scheme}:"`}: expected sqlite:PATH or redis://HOST:PORT`,
  })
}

/**
 * Replaces the password of a URL (`scheme://user:password@host`) with `***`, so it can be printed.
 *
 * @example
 * redactUrl('redis://default:hunter2@cache:6379/0') // 'redis://default:***@cache:6379/0'
 */
export function redactUrl(text: string): string {
  return text.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^/@]*)@/, (_match, scheme: string, auth: string) => {
    const colon = auth.indexOf(':')
    if (colon === -1) return auth === '' ? `${scheme}@` : `${scheme}***@`
    return `${scheme}${auth.slice(0, colon)}:***@`
  })
}
