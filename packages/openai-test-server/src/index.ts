export { anthropicMessagesRoute } from './routes/anthropic-messages-route.ts'
export { chatCompletionsRoute } from './routes/chat-completions-route.ts'
export { embeddingsRoute } from './routes/embeddings-route.ts'
export { responsesRoute } from './routes/responses-route.ts'
export type { RecordedRequest, Responder, ScriptedReply, ScriptedUsage } from './scripted-reply.ts'
export {
  type OpenAITestServer,
  type OpenAITestServerOptions,
  startOpenAITestServer,
} from './start-openai-test-server.ts'
export type { RouteReply, SseEvent, TestServerRoute } from './test-server-route.ts'
