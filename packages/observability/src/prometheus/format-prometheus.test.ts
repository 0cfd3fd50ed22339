import { BudgetValidationError } from '@tokenwarden/core'
import { describe, expect, it } from 'vitest'
import { escapeLabelValue, formatPrometheus } from './format-prometheus.ts'

describe('formatPrometheus', () => {
  describe('text format 0.0.4', () => {
    it('should write HELP and TYPE lines, then samples with labels', () => {
      expect(
        formatPrometheus([
          { name: 'jobs_total', help: 'Jobs run.', type: 'counter', samples: [{ value: 3 }] },
          {
            name: 'queue_size',
            help: 'Queue size.',
            type: 'gauge',
            samples: [
              { labels: { queue: 'a', region: 'eu' }, value: 1.5 },
              { labels: { queue: 'b', region: 'eu' }, value: 0 },
            ],
          },
          { name: 'empty', help: 'Nothing yet.', type: 'untyped', samples: [] },
        ]),
      ).toBe(
        '# HELP jobs_total Jobs run.\n' +
          '# TYPE jobs_total counter\n' +
          'jobs_total 3\n' +
          '# HELP queue_size Queue size.\n' +
          '# TYPE queue_size gauge\n' +
          'queue_size{queue="a",region="eu"} 1.5\n' +
          'queue_size{queue="b",region="eu"} 0\n' +
          '# HELP empty Nothing yet.\n' +
          '# TYPE empty untyped\n',
      )
    })

    it('should escape label values and help text', () => {
      expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd')
      expect(
        formatPrometheus([
          {
            name: 'x',
            help: 'line one\nback\\slash "quoted"',
            type: 'gauge',
            samples: [{ labels: { id: 'say "hi"\\\n' }, value: 1 }],
          },
        ]),
      ).toBe('# HELP x line one\\nback\\\\slash "quoted"\n# TYPE x gauge\nx{id="say \\"hi\\"\\\\\\n"} 1\n')
    })

    it('should write special values as Prometheus spells them', () => {
      const text = formatPrometheus([
        {
          name: 'v',
          help: 'v',
          type: 'gauge',
          samples: [
            { labels: { k: 'nan' }, value: Number.NaN },
            { labels: { k: 'inf' }, value: Number.POSITIVE_INFINITY },
            { labels: { k: 'ninf' }, value: Number.NEGATIVE_INFINITY },
            { labels: { k: 'small' }, value: 1e-7 },
          ],
        },
      ])
      expect(text.split('\n').slice(2, 6)).toEqual([
        'v{k="nan"} NaN',
        'v{k="inf"} +Inf',
        'v{k="ninf"} -Inf',
        'v{k="small"} 1e-7',
      ])
    })
  })

  describe('validation', () => {
    it.each([
      [[{ name: 'bad-name', help: '', type: 'gauge', samples: [] }], 'family.name'],
      [
        [
          { name: 'dup', help: '', type: 'gauge', samples: [] },
          { name: 'dup', help: '', type: 'gauge', samples: [] },
        ],
        'family.name',
      ],
      [
        [{ name: 'x', help: '', type: 'gauge', samples: [{ labels: { 'a-b': 'v' }, value: 1 } as never] }],
        'labels',
      ],
      [
        [{ name: 'x', help: '', type: 'gauge', samples: [{ labels: { __name__: 'v' }, value: 1 } as never] }],
        'labels',
      ],
    ])('should refuse invalid names (%#)', (families, field) => {
      try {
        formatPrometheus(families as never)
        expect.unreachable()
      } catch (error) {
        expect(BudgetValidationError.isInstance(error)).toBe(true)
        expect((error as BudgetValidationError).field).toBe(field)
      }
    })
  })
})
