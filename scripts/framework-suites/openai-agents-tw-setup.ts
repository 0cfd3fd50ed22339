import { beforeAll } from 'vitest'

// Every model a run resolves (run.ts #resolveModelForAgent) goes through __twWrap.provider / .model, and
// every OpenAIResponsesModel / OpenAIChatCompletionsModel the suite builds through __twWrap.instance (its
// getResponse / getStreamedResponse replaced by the wrapper's, forwarding to the class's methods).
// TW_WRAP=noop: wrappers of the same shape that forward every call unchanged; TW_WRAP=budget: tokenwarden.
const mode = process.env.TW_WRAP
if (mode === 'noop' || mode === 'budget') {
  const core = mode === 'budget' ? await import('@tokenwarden/core' as string) : undefined // aliased to the dist
  // Imported at the first model call, not here: it imports the suite's agents-core, which a setup file
  // would load before the test files' vi.mock() calls (breaking tests that mock its modules).
  let adapter: any
  const loadAdapter = async () => {
    adapter ??= await import('./tw/index.js' as string)
  }
  if (mode === 'budget') beforeAll(loadAdapter) // loaded before the tests (some advance fake timers at once)
  const budget = core?.createBudget({
    limits: [{ scope: 'global', tokens: Number(process.env.TW_LIMIT ?? 1e12) }],
  })
  const then = (value: any, fn: (resolved: any) => any) =>
    value instanceof Promise ? value.then(fn) : fn(value)

  // The do-nothing model: what budgetModel returns, minus the budget.
  const noopModel = (model: any) => {
    const wrapped: any = {
      async getResponse(request: any) {
        return model.getResponse(request)
      },
      async *getStreamedResponse(request: any) {
        yield* model.getStreamedResponse(request)
      },
    }
    if (model.supportsPromptModelSelection !== undefined)
      Object.defineProperty(wrapped, 'supportsPromptModelSelection', {
        value: model.supportsPromptModelSelection,
      })
    if (typeof model.getRetryAdvice === 'function')
      wrapped.getRetryAdvice = (args: any) => model.getRetryAdvice(args)
    return wrapped
  }
  const noopProvider = (provider: any) => {
    const byModel = new WeakMap<object, any>()
    return {
      getModel: (name?: string) =>
        then(provider.getModel(name), (model) => {
          if (!byModel.has(model)) byModel.set(model, noopModel(model))
          return byModel.get(model)
        }),
    }
  }

  const instances = new WeakSet<object>() // models budgeted in their constructor: not wrapped again
  const providers = new WeakMap<object, any>()
  const models = new WeakMap<object, any>()
  ;(globalThis as any).__twWrap = {
    provider(provider: any) {
      let wrapped = providers.get(provider)
      if (wrapped === undefined) {
        let current: any
        let inner: any
        wrapped = {
          async getModel(name?: string) {
            const model = await provider.getModel(name)
            if (instances.has(model)) return model
            if (mode === 'budget') await loadAdapter()
            inner ??=
              mode === 'budget'
                ? adapter.budgetModelProvider({ getModel: () => current }, { budget })
                : noopProvider({ getModel: () => current })
            current = model
            return inner.getModel(name)
          },
        }
        providers.set(provider, wrapped)
      }
      return wrapped
    },
    async model(model: any) {
      if (instances.has(model)) return model
      if (mode === 'budget') await loadAdapter()
      let wrapped = models.get(model)
      if (wrapped === undefined) {
        wrapped = mode === 'budget' ? adapter.budgetModel(model, { budget }) : noopModel(model)
        models.set(model, wrapped)
      }
      return wrapped
    },
    instance(self: any, name: string) {
      const forward = {
        getResponse: (request: any) => Object.getPrototypeOf(self).getResponse.call(self, request),
        getStreamedResponse: (request: any) =>
          Object.getPrototypeOf(self).getStreamedResponse.call(self, request),
      }
      let wrapped: any
      const load = async () => {
        if (mode === 'budget') await loadAdapter()
        wrapped ??=
          mode === 'budget' ? adapter.budgetModel(forward, { budget, modelId: name }) : noopModel(forward)
        return wrapped
      }
      self.getResponse = async (request: any) => (await load()).getResponse(request)
      self.getStreamedResponse = async function* (request: any) {
        yield* (await load()).getStreamedResponse(request)
      }
      instances.add(self)
    },
  }
}
