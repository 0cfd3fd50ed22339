export {
  type ReportedUsage,
  sanitizeUsage,
  type UsageEstimate,
} from '../usage/sanitize-usage.ts'
