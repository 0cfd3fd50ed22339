import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { BudgetValidationError, createBudget } from '@tokenwarden/core'
import { afterEach, describe, expect, it } from 'vitest'
import type { AlertMonitorEvents } from './create-alert-monitor.ts'
import { createAlertMonitor } from './create-alert-monitor.ts'
import { webhookSender } from './webhook-sender.ts'

interface Received {
  method: string | undefined
  url: string | undefined
  headers: IncomingHttpHeaders
  body: string
}

let server: Server | undefined

async function startHook(status = 204, hang = false) {
  const received: Received[] = []
  server = createServer((request, response) => {
    let body = ''
    request.setEncoding('utf8')
    request.on('data', (chunk: string) => {
      body += chunk
    })
    request.on('end', () => {
      received.push({ method: request.method, url: request.url, headers: request.headers, body })
      if (!hang) response.writeHead(status).end()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/hooks/budget`, received }
}

afterEach(async () => {
  server?.closeAllConnections()
  server?.close()
  server = undefined
})

function runawaySetup(webhook: Parameters<typeof createAlertMonitor>[1]['webhook']) {
  const now = () => Date.UTC(2026, 0, 5, 9)
  const budget = createBudget({
    limits: [{ scope: 'thread', tokens: 1_000_000, onMissingScope: 'skip' }],
    now,
  })
  const monitor = createAlertMonitor(budget, {
    rules: [{ type: 'runaway', expectedTokens: 100, factor: 2 }],
    webhook,
  })
  const errors: AlertMonitorEvents['error'][] = []
  monitor.on('error', (event) => errors.push(event))
  return { budget, monitor, errors }
}

describe('webhookSender', () => {
  describe('through createAlertMonitor', () => {
    it('should POST each alert once as JSON with ids and numbers only', async () => {
      const hook = await startHook()
      const { budget, monitor, errors } = runawaySetup({
        url: hook.url,
        headers: { authorization: 'Bearer hook-secret' },
      })
      const ctx = { task: 'crawl', thread: 't-1', agent: 'researcher' }
      const reservation = await budget.reserve(ctx, {
        model: 'gpt-4o',
        inputTokens: 150,
        maxOutputTokens: 100,
      })
      await reservation.settle({ inputTokens: 150, outputTokens: 60 })
      await budget.record(ctx, { model: 'gpt-4o', inputTokens: 500, outputTokens: 0 })
      await monitor.idle()

      expect(errors).toEqual([])
      expect(hook.received).toHaveLength(1)
      const [request] = hook.received
      expect(request).toMatchObject({ method: 'POST', url: '/hooks/budget' })
      expect(request!.headers['content-type']).toBe('application/json')
      expect(request!.headers.authorization).toBe('Bearer hook-secret')
      expect(request!.body).not.toContain('hook-secret')
      expect(JSON.parse(request!.body)).toEqual({
        source: 'tokenwarden',
        version: 1,
        alert: {
          type: 'runaway',
          rule: 'runaway',
          scope: 'task',
          scopeId: 'crawl',
          unit: 'tokens',
          value: 210,
          threshold: 200,
          expectedTokens: 100,
          factor: 2,
          at: Date.UTC(2026, 0, 5, 9),
          context: ctx,
          model: 'gpt-4o',
          message: 'runaway task "crawl": 210 tokens, 2.1× its expected 100 (alert above 2×)',
        },
      })
    })

    it('should report a non-2xx answer as an error event and go on', async () => {
      const hook = await startHook(500)
      const { budget, monitor, errors } = runawaySetup({ url: hook.url })
      const alerts: unknown[] = []
      monitor.on('alert', (alert) => alerts.push(alert))
      await budget.record({ task: 'a' }, { inputTokens: 500, outputTokens: 0 })
      await monitor.idle()
      expect(alerts).toHaveLength(1)
      expect(errors).toHaveLength(1)
      expect(errors[0]).toMatchObject({ rule: 'runaway', alert: { scopeId: 'a' } })
      expect(String(errors[0]!.error)).toContain(`webhook ${new URL(hook.url).origin} answered 500`)
    })

    it('should abort a request that gets no answer within timeoutMs', async () => {
      const hook = await startHook(200, true)
      const { budget, monitor, errors } = runawaySetup({ url: hook.url, timeoutMs: 50 })
      await budget.record({ task: 'a' }, { inputTokens: 500, outputTokens: 0 })
      await monitor.idle()
      expect(hook.received).toHaveLength(1)
      expect(errors).toHaveLength(1)
      expect((errors[0]!.error as Error).name).toBe('TimeoutError')
    })
  })

  describe('options', () => {
    it('should use an injected fetch', async () => {
      const calls: [string, RequestInit | undefined][] = []
      const send = webhookSender({
        url: 'https://hooks.example.com/x',
        fetch: async (input, init) => {
          calls.push([String(input), init])
          return new Response(null, { status: 200 })
        },
      })
      const { budget, monitor, errors } = runawaySetup(undefined)
      monitor.dispose()
      const second = createAlertMonitor(budget, { rules: [{ type: 'runaway', expectedTokens: 1 }], send })
      await budget.record({ task: 'a' }, { inputTokens: 5, outputTokens: 0 })
      await second.idle()
      expect(errors).toEqual([])
      expect(calls).toHaveLength(1)
      expect(calls[0]![0]).toBe('https://hooks.example.com/x')
      expect(calls[0]![1]!.method).toBe('POST')
    })

    it.each([
      [{ url: 'not a url' }, 'webhook.url'],
      [{ url: 'ftp://example.com/x' }, 'webhook.url'],
      [{ url: 'https://example.com', timeoutMs: 0 }, 'webhook.timeoutMs'],
    ])('should refuse %j naming the field', (options, field) => {
      try {
        webhookSender(options)
        expect.unreachable()
      } catch (error) {
        expect(BudgetValidationError.isInstance(error)).toBe(true)
        expect((error as BudgetValidationError).field).toBe(field)
      }
    })
  })
})
