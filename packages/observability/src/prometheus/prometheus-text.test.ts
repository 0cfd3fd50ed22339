import { BudgetValidationError, createBudget } from '@tokenwarden/core'
import { describe, expect, it } from 'vitest'
import { prometheusRegistry } from './prometheus-registry.ts'
import { prometheusContentType, prometheusText } from './prometheus-text.ts'

function setup() {
  const budget = createBudget({
    limits: [
      { scope: 'agent', tokens: 1000 },
      { scope: 'user', costUsd: 5000, period: 'day' },
    ],
    prices: { models: { big: { inputPerMillion: 2_000_000, outputPerMillion: 4_000_000 } } },
    now: () => Date.UTC(2026, 0, 5, 12),
  })
  const call = async (
    context: Record<string, string>,
    inputTokens: number,
    outputTokens: number,
    cached = 0,
  ) => {
    const reservation = await budget.reserve(context, {
      model: 'big',
      inputTokens,
      maxOutputTokens: outputTokens,
    })
    await reservation.settle({ inputTokens, outputTokens, cachedInputTokens: cached })
  }
  return { budget, call }
}

/** One line of the text format: a comment, or `name{labels} value`. */
const sampleLine =
  /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*\})? (NaN|[+-]Inf|-?\d+(\.\d+)?(e[+-]?\d+)?)$/
const commentLine =
  /^# (HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*|TYPE [a-zA-Z_:][a-zA-Z0-9_:]* (counter|gauge|untyped))$/

describe('prometheusText', () => {
  describe('output', () => {
    it('should expose limits, totals and top spenders exactly', async () => {
      const { budget, call } = setup()
      await call({ agent: 'a', user: 'u1' }, 100, 50, 40)
      await call({ agent: 'b', user: 'u1' }, 10, 5)
      expect(await prometheusText(budget)).toBe(
        [
          '# HELP tokenwarden_limit The size of a limit in its unit.',
          '# TYPE tokenwarden_limit gauge',
          'tokenwarden_limit{limit="agent/none",scope="agent",scope_id="a",unit="tokens",period="none"} 1000',
          'tokenwarden_limit{limit="agent/none",scope="agent",scope_id="b",unit="tokens",period="none"} 1000',
          'tokenwarden_limit{limit="user/day",scope="user",scope_id="u1",unit="costUsd",period="day"} 5000',
          '# HELP tokenwarden_used Usage settled against a limit in its current period.',
          '# TYPE tokenwarden_used gauge',
          'tokenwarden_used{limit="agent/none",scope="agent",scope_id="a",unit="tokens",period="none"} 150',
          'tokenwarden_used{limit="agent/none",scope="agent",scope_id="b",unit="tokens",period="none"} 15',
          'tokenwarden_used{limit="user/day",scope="user",scope_id="u1",unit="costUsd",period="day"} 440',
          '# HELP tokenwarden_reserved Usage held by open reservations against a limit.',
          '# TYPE tokenwarden_reserved gauge',
          'tokenwarden_reserved{limit="agent/none",scope="agent",scope_id="a",unit="tokens",period="none"} 0',
          'tokenwarden_reserved{limit="agent/none",scope="agent",scope_id="b",unit="tokens",period="none"} 0',
          'tokenwarden_reserved{limit="user/day",scope="user",scope_id="u1",unit="costUsd",period="day"} 0',
          '# HELP tokenwarden_remaining What a limit has left in its current period.',
          '# TYPE tokenwarden_remaining gauge',
          'tokenwarden_remaining{limit="agent/none",scope="agent",scope_id="a",unit="tokens",period="none"} 850',
          'tokenwarden_remaining{limit="agent/none",scope="agent",scope_id="b",unit="tokens",period="none"} 985',
          'tokenwarden_remaining{limit="user/day",scope="user",scope_id="u1",unit="costUsd",period="day"} 4560',
          '# HELP tokenwarden_input_tokens_total Input tokens counted, cached ones included.',
          '# TYPE tokenwarden_input_tokens_total counter',
          'tokenwarden_input_tokens_total 110',
          '# HELP tokenwarden_cached_input_tokens_total Cached input tokens counted.',
          '# TYPE tokenwarden_cached_input_tokens_total counter',
          'tokenwarden_cached_input_tokens_total 40',
          '# HELP tokenwarden_output_tokens_total Output tokens counted, reasoning ones included.',
          '# TYPE tokenwarden_output_tokens_total counter',
          'tokenwarden_output_tokens_total 55',
          '# HELP tokenwarden_reasoning_tokens_total Reasoning tokens counted.',
          '# TYPE tokenwarden_reasoning_tokens_total counter',
          'tokenwarden_reasoning_tokens_total 0',
          '# HELP tokenwarden_cost_usd_total USD cost counted.',
          '# TYPE tokenwarden_cost_usd_total counter',
          'tokenwarden_cost_usd_total 440',
          '# HELP tokenwarden_requests_total Model calls counted.',
          '# TYPE tokenwarden_requests_total counter',
          'tokenwarden_requests_total 2',
          '# HELP tokenwarden_spender_tokens_total Tokens of the top spenders by scope.',
          '# TYPE tokenwarden_spender_tokens_total counter',
          'tokenwarden_spender_tokens_total{scope="agent",id="a"} 150',
          'tokenwarden_spender_tokens_total{scope="agent",id="b"} 15',
          'tokenwarden_spender_tokens_total{scope="model",id="big"} 165',
          'tokenwarden_spender_tokens_total{scope="user",id="u1"} 165',
          '# HELP tokenwarden_spender_cost_usd_total USD cost of the top spenders by scope.',
          '# TYPE tokenwarden_spender_cost_usd_total counter',
          'tokenwarden_spender_cost_usd_total{scope="agent",id="a"} 400',
          'tokenwarden_spender_cost_usd_total{scope="agent",id="b"} 40',
          'tokenwarden_spender_cost_usd_total{scope="model",id="big"} 440',
          'tokenwarden_spender_cost_usd_total{scope="user",id="u1"} 440',
          '',
        ].join('\n'),
      )
    })

    it('should escape ids in label values and keep every line valid', async () => {
      const { budget, call } = setup()
      // ids cannot hold control characters (the core refuses them), so no newline: quotes and backslashes
      await call({ agent: 'say "hi"\\now', user: 'u' }, 1, 1)
      const text = await prometheusText(budget, { scopes: ['agent'], top: 1 })
      expect(text).toContain(
        'tokenwarden_used{limit="agent/none",scope="agent",scope_id="say \\"hi\\"\\\\now",',
      )
      expect(text).not.toContain('scope_id="u"')
      for (const line of text.trimEnd().split('\n'))
        expect(line).toMatch(line.startsWith('#') ? commentLine : sampleLine)
      expect(text.match(/^tokenwarden_spender_tokens_total/gm)).toHaveLength(3) // top 1 of agent, model, user
    })

    it('should use the prefix and refuse bad options naming the field', async () => {
      const { budget } = setup()
      expect(await prometheusText(budget, { prefix: 'llm' })).toContain(
        '# TYPE llm_requests_total counter\nllm_requests_total 0\n',
      )
      for (const [options, field] of [
        [{ top: -1 }, 'top'],
        [{ prefix: 'a-b' }, 'prefix'],
      ] as const) {
        const error = await prometheusText(budget, options).catch((e: unknown) => e)
        expect(BudgetValidationError.isInstance(error) && error.field).toBe(field)
      }
    })
  })
})

describe('prometheusRegistry', () => {
  describe('metrics', () => {
    it('should count blocked calls by scope, limit and unit', async () => {
      const { budget, call } = setup()
      const registry = prometheusRegistry(budget, { scopes: [] })
      expect(registry.contentType).toBe(prometheusContentType)
      await call({ agent: 'a', user: 'u1' }, 900, 50)
      for (let i = 0; i < 2; i++) await call({ agent: 'a', user: 'u1' }, 100, 10).catch(() => {})
      await call({ agent: 'b', user: 'u1' }, 1, 1)
      const text = await registry.metrics()
      expect(text.slice(text.indexOf('# HELP tokenwarden_blocked_calls_total'))).toBe(
        '# HELP tokenwarden_blocked_calls_total Model calls refused by a limit.\n' +
          '# TYPE tokenwarden_blocked_calls_total counter\n' +
          'tokenwarden_blocked_calls_total{scope="agent",limit="agent/none",unit="tokens"} 2\n',
      )
      registry.dispose()
      await call({ agent: 'a', user: 'u1' }, 100, 10).catch(() => {})
      expect(await registry.metrics()).toContain(
        'tokenwarden_blocked_calls_total{scope="agent",limit="agent/none",unit="tokens"} 2\n',
      )
    })
  })
})
