import { describe, expect, it } from 'vitest'
import { SerialQueue } from './serial-queue.ts'

function deferred() {
  let resolve!: () => void
  const promise = new Promise<void>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

describe('SerialQueue', () => {
  describe('run', () => {
    it('should start an operation only after the previous one ended, in call order', async () => {
      const queue = new SerialQueue()
      const steps: string[] = []
      const first = deferred()
      const a = queue.run(async () => {
        steps.push('a:start')
        await first.promise
        steps.push('a:end')
        return 'a'
      })
      const b = queue.run(async () => {
        steps.push('b:start')
        return 'b'
      })
      await Promise.resolve()
      await Promise.resolve()
      expect(steps).toEqual(['a:start'])
      first.resolve()
      expect(await Promise.all([a, b])).toEqual(['a', 'b'])
      expect(steps).toEqual(['a:start', 'a:end', 'b:start'])
    })

    it('should reject only the failed operation and still run the next one', async () => {
      const queue = new SerialQueue()
      const failed = queue.run(async () => {
        throw new Error('refused')
      })
      const next = queue.run(async () => 'ran')
      await expect(failed).rejects.toThrow('refused')
      expect(await next).toBe('ran')
    })
  })
})
