/**
 * The inline CSS of the HTML report (no external fonts or assets).
 *
 * @example
 * const html = `<style>${reportPageStyle}</style>`
 */
export const reportPageStyle = `
:root { color-scheme: light; --ok: #2f9e44; --warn: #f08c00; --crit: #e03131; --ink: #1f2933; --muted: #6b7785; --line: #e4e7eb; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f6f7f9; }
header { padding: 20px 32px 12px; background: #fff; border-bottom: 1px solid var(--line); }
header h1 { margin: 0 0 4px; font-size: 20px; }
header p { margin: 0; color: var(--muted); }
main { padding: 16px 32px 32px; }
section { margin-top: 20px; }
h2 { font-size: 16px; margin: 0 0 10px; }
h3 { font-size: 13px; margin: 14px 0 6px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); }
.cards { display: flex; gap: 12px; flex-wrap: wrap; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 16px; min-width: 150px; }
.card b { display: block; font-size: 20px; }
.card span { color: var(--muted); font-size: 12px; }
.panel { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; }
.limit-row { display: grid; grid-template-columns: minmax(160px, 1.2fr) 3fr minmax(200px, 1.2fr); gap: 12px; align-items: center; padding: 4px 0; }
.limit-row .label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.limit-row .label small { color: var(--muted); margin-left: 6px; }
.bar { position: relative; height: 14px; border-radius: 7px; background: #edf0f3; overflow: hidden; }
.bar-fill { height: 100%; border-radius: 7px; background: var(--ok); }
.bar-reserved { position: absolute; top: 0; height: 100%; background: repeating-linear-gradient(45deg, #adb5bd 0 4px, #dee2e6 4px 8px); }
.bar-fill.warn { background: var(--warn); } .bar-fill.crit { background: var(--crit); }
.numbers { font-variant-numeric: tabular-nums; color: var(--muted); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); gap: 12px; }
figure { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
figcaption { font-weight: 600; margin-bottom: 4px; }
figcaption small { font-weight: 400; color: var(--muted); margin-left: 6px; }
svg.burndown { width: 100%; height: auto; display: block; }
svg .axis { stroke: #adb5bd; stroke-width: 1; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .cap { stroke: var(--ink); stroke-width: 1; stroke-dasharray: 2 3; }
svg .remaining { fill: none; stroke: #1c7ed6; stroke-width: 2.5; }
svg .projection { fill: none; stroke: #1c7ed6; stroke-width: 1.5; stroke-dasharray: 6 4; }
svg .projection.over { stroke: var(--crit); }
svg .now { stroke: var(--muted); stroke-width: 1; stroke-dasharray: 1 3; }
svg text { font: 11px system-ui, sans-serif; fill: var(--muted); }
.note { color: var(--muted); font-size: 12px; margin: 6px 0 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: right; padding: 4px 8px; border-bottom: 1px solid var(--line); font-variant-numeric: tabular-nums; }
th:first-child, td:first-child { text-align: left; }
td .bar { width: 160px; display: inline-block; vertical-align: middle; }
.empty { color: var(--muted); font-style: italic; }
`
