import { describe, expect, it, vi } from 'vitest'
import type { SignalEvent } from './agent-signal.ts'
import { SignalHub } from './signal-hub.ts'

const event: SignalEvent = {
  signal: 'SIGSTOP',
  agentId: 'a',
  used: 10,
  total: 10,
  remaining: 0,
  utilization: 1,
}

describe('SignalHub', () => {
  describe('emit', () => {
    it('should run the other handlers when one throws, and report the error', () => {
      const hub = new SignalHub()
      const after = vi.fn()
      const failures: unknown[] = []
      hub.on('SIGSTOP', () => {
        throw new Error('boom')
      })
      hub.on('SIGSTOP', after)
      hub.on('handlerError', (failure) => failures.push(failure))
      hub.emit(event)
      expect(after).toHaveBeenCalledWith(event)
      expect(failures).toMatchObject([{ signal: 'SIGSTOP', agentId: 'a', error: new Error('boom') }])
    })

    it('should deliver only to the handlers of that signal, until unsubscribed', () => {
      const hub = new SignalHub()
      const stop = vi.fn()
      const warn = vi.fn()
      const off = hub.on('SIGSTOP', stop)
      hub.on('SIGWARN', warn)
      hub.emit(event)
      off()
      hub.emit(event)
      expect(stop).toHaveBeenCalledTimes(1)
      expect(warn).not.toHaveBeenCalled()
    })
  })
})
