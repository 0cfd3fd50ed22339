export {
  type OpenAITestServer,
  type RecordedRequest,
  type Responder,
  type ScriptedReply,
  type ScriptedUsage,
  startOpenAITestServer,
} from './start-openai-test-server.ts'
