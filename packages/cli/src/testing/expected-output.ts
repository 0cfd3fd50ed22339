/** `tokenwarden status` rows for {@link populateBudget}'s usage, without the RESETS column (time-dependent). */
export const expectedStatusRows = [
  'SCOPE   ID          PERIOD      USED / LIMIT                           USAGE',
  'global  —           month       $0.0147 / $1.00 (+$0.0001 reserved)    [░░░░░░░░░░░░░░░░░░░░]   1%',
  'user    u-1         rolling 1d  3,200 / 5,000 tokens                   [█████████████░░░░░░░]  64%',
  'user    u-2         rolling 1d  2,600 / 5,000 tokens (+300 reserved)   [██████████░░░░░░░░░░]  52%',
  'agent   researcher  day         2,800 / 10,000 tokens                  [██████░░░░░░░░░░░░░░]  28%',
  'agent   writer      day         2,600 / 10,000 tokens (+300 reserved)  [█████░░░░░░░░░░░░░░░]  26%',
  'agent   planner     day         400 / 10,000 tokens                    [█░░░░░░░░░░░░░░░░░░░]   4%',
  'thread  t-1         all time    2,800 / 3,000 tokens                   [███████████████████░]  93%',
  'thread  t-2         all time    2,600 / 3,000 tokens (+300 reserved)   [█████████████████░░░]  86%',
  'thread  t-3         all time    400 / 3,000 tokens                     [███░░░░░░░░░░░░░░░░░]  13%',
]

/** `tokenwarden top` output for {@link populateBudget}'s usage. */
export const expectedTop = `AGENT       TOKENS  INPUT  OUTPUT     COST  REQUESTS  SHARE OF TOKENS
researcher   2,800  2,100     700  $0.0123         2  [██████████░░░░░░░░░░]  48%
writer       2,600  2,000     600  $0.0007         1  [█████████░░░░░░░░░░░]  45%
planner        400    300     100  $0.0018         1  [█░░░░░░░░░░░░░░░░░░░]   7%

USER  TOKENS  INPUT  OUTPUT     COST  REQUESTS  SHARE OF TOKENS
u-1    3,200  2,400     800  $0.0140         3  [███████████░░░░░░░░░]  55%
u-2    2,600  2,000     600  $0.0007         1  [█████████░░░░░░░░░░░]  45%

MODEL        TOKENS  INPUT  OUTPUT     COST  REQUESTS  SHARE OF TOKENS
gpt-4o        3,200  2,400     800  $0.0140         3  [███████████░░░░░░░░░]  55%
gpt-4o-mini   2,600  2,000     600  $0.0007         1  [█████████░░░░░░░░░░░]  45%
`

/**
 * Splits `status` output into rows without the RESETS column (which depends on the clock) and checks
 * the column holds a valid value.
 *
 * @example
 * expect(statusRows(stdout)).toEqual(expectedStatusRows)
 */
export function statusRows(stdout: string): string[] {
  const lines = stdout.trimEnd().split('\n').slice(1)
  return lines.map((line, index) => {
    const pattern = index === 0 ? /\s+RESETS$/ : /\s+(in (\d+d \d+h|\d+h \d+m|\d+m)|—|rolling)$/
    if (!pattern.test(line)) throw new Error(`no RESETS column in ${JSON.stringify(line)}`)
    return line.replace(pattern, '')
  })
}
