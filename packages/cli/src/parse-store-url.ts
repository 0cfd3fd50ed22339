import { CliError } from './cli-error.ts'

/** A store the CLI can open, parsed from `--store`. */
export type StoreLocation =
  | { kind: 'sqlite'; path: string; display: string }
  | { kind: 'redis'; url: string; display: string }

/**
 * Parses a `--store` value: `sqlite:PATH` (also `sqlite://PATH`) or `redis://…` / `rediss://…`. `display`
 * is safe to print: the Redis URL's credentials are replaced by `***` (parsed with the WHATWG URL
 * parser). Throws a {@link CliError} (exit code 2) for anything else; the error never repeats the value,
 * which may hold a password.
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
    const url = parseRedisUrl(text)
    if (url.hostname === '') {
      throw new CliError({ code: 'invalid_store', message: 'invalid --store: the Redis URL has no host' })
    }
    return { kind: 'redis', url: text, display: redactUrl(url) }
  }
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]{0,15}):\/\//.exec(text)?.[1]
  throw new CliError({
    code: 'unknown_store',
    message: `unknown store ${scheme === undefined ? '(the value is not printed: it may hold a credential)' : `scheme "${scheme}:"`}: expected sqlite:PATH or redis://HOST:PORT`,
  })
}

function parseRedisUrl(text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error)
    throw new CliError({
      code: 'invalid_store',
      message: `invalid --store: the store URL could not be parsed (${reason}; the value is not printed: it may hold a credential)`,
      // the parser's error carries the input: keep only its message
      cause: new TypeError(reason),
    })
  }
  // an "@" after the host means the password held a raw "/" (or "?", "#"): the parser split it into
  // host and path, so the URL would reach another host and part of the password would be printed
  if (/[@]/.test(url.pathname + url.search + url.hash)) {
    throw new CliError({
      code: 'invalid_store',
      message:
        'invalid --store: the store URL could not be parsed ("@" after the host: percent-encode "@", "/", "?" and "#" in the password as %40, %2F, %3F and %23; the value is not printed)',
    })
  }
  return url
}

/**
 * A URL with its credentials replaced by `***`, safe to print: the password, or a lone user name (a
 * token). Parses with the WHATWG URL parser; a string that does not parse becomes `'(unparseable URL)'`,
 * never the string itself.
 *
 * @example
 * redactUrl('redis://default:hunter2@cache:6379/0') // 'redis://default:***@cache:6379/0'
 */
export function redactUrl(value: string | URL): string {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return '(unparseable URL)'
  }
  if (url.password !== '') url.password = '***'
  else if (url.username !== '') url.username = '***'
  return url.href
}

/**
 * Replaces the credentials of every `scheme://…@` in a text (an error message, a stack) with `***`: the
 * whole part between `://` and the last `@` of the word, so a password holding `@` or `/` is covered.
 *
 * @example
 * redactUrlsIn('connect failed: redis://u:p@ss/w0rd@h:1') // 'connect failed: redis://***@h:1'
 */
export function redactUrlsIn(text: string): string {
  return text.replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)(\S*)@/g, (match, scheme: string, auth: string) =>
    // already redacted (`user:***`, `***`): keep the user name readable
    /^[^:@/]*:\*\*\*$|^\*\*\*$/.test(auth) ? match : `${scheme}***@`,
  )
}
