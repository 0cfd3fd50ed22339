const mode = process.env.TW_WRAP
if (mode === 'budget') {
  const core = await import('TOKENWARDEN/packages/core/dist/index.js' as string)
  const adapter = await import('./tw/index.js' as string)
  const budget = core.createBudget({
    limits: [{ scope: 'global', tokens: Number(process.env.TW_LIMIT ?? 1e12) }],
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
