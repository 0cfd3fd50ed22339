// Every Anthropic client the suite builds calls globalThis.__twWrap(this) at the end of its constructor.
const mode = process.env['TW_WRAP']
if (mode === 'budget') {
  const root = process.env['TOKENWARDEN'] ?? 'TOKENWARDEN'
  const core = require(`${root}/packages/core/dist/index.cjs`)
  const adapter = require(`${root}/packages/anthropic/dist/index.cjs`)
  const budget = core.createBudget({
    limits: [{ scope: 'global', tokens: Number(process.env['TW_LIMIT'] ?? 1e12) }],
  })
  let wrapping = false
  ;(globalThis as any).__twWrap = (client: any) => {
    if (wrapping) return
    wrapping = true
    try {
      adapter.withBudget(client, { budget })
    } finally {
      wrapping = false
    }
  }
}
