import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const script = fileURLToPath(new URL('./index.ts', import.meta.url))

describe('alerts-and-metrics example', () => {
  it('should fire each rule once, deliver them to the webhook and show the counters', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [script], {
      cwd: fileURLToPath(new URL('.', import.meta.url)),
    })
    expect(stdout).toContain('no alerts (0 webhook deliveries)')
    expect(stdout.match(/ALERT/g)).toHaveLength(3)
    expect(stdout).toContain('ALERT 08:01 [spike]')
    expect(stdout).toContain('ALERT 08:02 [forecast]')
    expect(stdout).toContain('ALERT 08:03 [runaway] runaway task "crawl-42": 63,000 tokens')
    expect(stdout).toContain('STOP  08:21 after 63 looping calls')
    expect(stdout).toContain('webhook received 3 alerts: spike, forecast, runaway')
    expect(stdout).toContain('tokenwarden.requests {agent=researcher model=gpt-4o} 111')
    expect(stdout).toContain(
      'tokenwarden.blocked_calls {scope=agent limit=agent:researcher/day unit=costUsd agent=researcher model=gpt-4o} 1',
    )
    expect(stdout).toContain(
      'tokenwarden_blocked_calls_total{scope="agent",limit="agent:researcher/day",unit="costUsd"} 1',
    )
  })
})
