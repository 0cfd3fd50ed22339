import type { HealthReport } from '@tokenwarden/core'
import type { BurnDown } from './burn-down.ts'
import { sortStatuses } from './format-status-table.ts'
import { reportPageScript } from './report-page-script.ts'
import { reportPageStyle } from './report-page-style.ts'

/** What the HTML report shows. */
export interface HtmlReportInput {
  report: HealthReport
  burnDowns: readonly BurnDown[]
  /** The store, safe to print (Redis password redacted). */
  store: string
  /** Whether a config gave the limits' caps. */
  hasLimits: boolean
  now: number
  /** @default 'tokenwarden report' */
  title?: string
}

/**
 * A self-contained HTML page (inline CSS, script and SVG; no network request) with the totals, a bar
 * per limit grouped by scope, a burn-down chart per limit with a period and the top spenders. The data
 * travels as a JSON island that the inline script draws; no text of it is parsed as HTML.
 *
 * @example
 * writeFileSync('report.html', renderHtmlReport({ report, burnDowns: charts, store: 'sqlite:./budget.db', hasLimits: true, now }))
 */
export function renderHtmlReport({
  report,
  burnDowns,
  store,
  hasLimits,
  now,
  title = 'tokenwarden report',
}: HtmlReportInput): string {
  const data = {
    store,
    now,
    generatedAt: report.generatedAt,
    hasLimits,
    limits: sortStatuses(report.limits),
    top: report.top,
    totals: report.totals,
    burnDowns,
  }
  const generated = new Date(report.generatedAt).toISOString().slice(0, 16).replace('T', ' ')
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${reportPageStyle}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(store)} · generated ${generated} UTC</p>
</header>
<main>
<noscript><p>This report draws its bars and charts with an inline script: enable JavaScript, or use <code>tokenwarden report --json</code>.</p></noscript>
<section><h2>Totals</h2><div id="summary"></div></section>
<section><h2>Limits by scope</h2><div id="limits" class="panel"></div></section>
<section><h2>Burn-down per period</h2><div id="charts" class="charts"></div>
<p class="note">Remaining budget (solid) against the limit (dotted). Calendar periods: drawn from the usage the budget records per hour of a day (5 minutes of an hour, 6 hours of a week, a day of a month), flat where nothing was used; the dashed line projects the average rate so far to the period's end. Rolling windows: one step per part of the window. All-time limits (no reset) have bars only.</p></section>
<section><h2>Top spenders</h2><div id="top" class="panel"></div></section>
</main>
<script type="application/json" id="report-data">${jsonForScript(data)}</script>
<script>${reportPageScript}</script>
</body>
</html>
`
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  )
}

/** JSON that cannot close its `<script>` element or break a line terminator in old parsers. */
function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029')
}
