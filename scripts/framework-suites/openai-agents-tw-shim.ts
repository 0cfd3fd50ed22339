// What the adapter imports from @openai/agents, from the suite's agents-core modules themselves (not its
// index, whose import has side effects that tests mocking agents-core modules do not expect).

export { getDefaultModel } from '../packages/agents-core/src/defaultModel'
export { getCurrentSpan } from '../packages/agents-core/src/tracing/context'
export { Usage } from '../packages/agents-core/src/usage'
