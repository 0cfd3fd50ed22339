import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'

const script = fileURLToPath(new URL('./index.ts', import.meta.url))

let stdout = ''

beforeAll(async () => {
  // Offline (no key) and without a colour override, as a newcomer's `pnpm demo` piped to a file.
  const { OPENAI_API_KEY: _key, FORCE_COLOR: _force, ...env } = process.env
  ;({ stdout } = await promisify(execFile)(process.execPath, [script], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    env,
  }))
}, 60_000)

const lines = () => stdout.split('\n')

describe('research team demo', () => {
  describe('warnings', () => {
    it('should cross each threshold of the thread once, in order', () => {
      const crossed = [...stdout.matchAll(/⚠ thread "report-1" crossed (\d+)% \((\w+)\)/g)].map(
        (match) => `${match[1]} ${match[2]}`,
      )
      expect(crossed).toEqual(['50 info', '75 warning', '90 critical', '95 final'])
    })

    it('should show the warnings as the models received them in their requests', () => {
      const reads = lines().filter((line) => line.includes('↳ the model reads: '))
      expect(reads).toEqual([
        expect.stringMatching(
          /^writer +↳ the model reads: \[Budget notice\] This conversation has used 52% of its 30,000-token budget/,
        ),
        expect.stringMatching(
          /^writer +↳ the model reads: \[Budget warning\] This conversation has used 82% of its 30,000-token budget \(5,303 tokens left\)\. Plan/,
        ),
        expect.stringMatching(
          /^researcher +↳ the model reads: \[Budget warning\] This conversation has used 98% .*Stop starting new work/,
        ),
      ])
    })
  })

  describe('graceful stop', () => {
    it('should clamp the output maximum before refusing', () => {
      expect(stdout).toContain('✂ output maximum clamped 800 → 659 tokens')
      expect(stdout).toContain('✂ output maximum clamped 600 → 332 tokens')
    })

    it('should stop each adapter without calling the model once the thread budget is spent', () => {
      expect(stdout).toMatch(
        /writer +■ refused before "Recommendations", no request sent \(BudgetExceededError\)\n.*thread "report-1" has 496 tokens of 30,000 tokens left/,
      )
      expect(stdout).toMatch(
        /planner +■ review finished by the budget \(rawFinishReason "tokenwarden-budget-exceeded"\)/,
      )
      expect(stdout).toMatch(
        /researcher ■ follow-up ended by the budget middleware \(an AI message, no model call\)\n.*I have to stop here: this conversation's budget cannot cover the next step/,
      )
      expect(stdout).not.toContain('review: Approved')
    })
  })

  describe('report', () => {
    it('should report spend by agent, user and model, with cost, matching what the server reported', () => {
      const row = (label: string) => {
        const match = lines()
          .filter((line) => line.startsWith(`  ${label} `))
          .map((line) => line.match(/^ {2}.+? +([\d,]+) +([\d,]+) +\$(\d+\.\d{4}) +(\d+)$/))
          .find((found) => found !== null)
        if (!match) throw new Error(`no report row for ${label}`)
        return {
          tokens: Number(match[1]!.replace(/,/g, '')),
          cost: Number(match[3]),
          calls: Number(match[4]),
        }
      }
      const total = row('total')
      const sum = (labels: string[]) => labels.reduce((tokens, label) => tokens + row(label).tokens, 0)
      expect(sum(['agent planner', 'agent researcher', 'agent writer', 'agent editor'])).toBe(total.tokens)
      expect(sum(['user ada', 'user grace'])).toBe(total.tokens)
      expect(sum(['model o4-mini', 'model gpt-4.1', 'model gpt-4o', 'model claude-haiku-4-5'])).toBe(
        total.tokens,
      )
      const agentsCost = ['agent planner', 'agent researcher', 'agent writer', 'agent editor'].reduce(
        (cost, label) => cost + row(label).cost,
        0,
      )
      expect(total.cost).toBeGreaterThan(0)
      expect(Math.abs(agentsCost - total.cost)).toBeLessThan(0.0002) // rounded to 4 decimals per row
      expect(row('user grace').calls).toBe(2) // the writer's sentence, and the editor's on Anthropic
      expect(row('agent editor').cost).toBeGreaterThan(0) // claude-haiku-4-5 priced by @tokenwarden/prices
      expect(stdout).toContain(
        `the server reported ${total.tokens.toLocaleString('en-US')} tokens in ${total.calls} requests: every token counted`,
      )
      expect(stdout).toMatch(/thread report-1 +all time +\[██████████\] 99% \(29,704\/30,000 tokens\)/)
    })

    it('should print no ANSI escapes when stdout is not a terminal', () => {
      expect(stdout).not.toContain('\u001b[')
    })
  })
})
