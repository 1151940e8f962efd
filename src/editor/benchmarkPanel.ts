// The benchmark panel's page: the machine, the chart `squeeze bench` wrote, and its figures as a
// table in the editor's theme. No scripts: the page only shows.
import type { BenchReport, Figure } from "../core/protocol/benchReport";
import { escapeHtml as escape } from "../core/util/escapeHtml";

export function benchmarkHtml(report: BenchReport, chartUri: string, cspSource: string): string {
  const { machine, settings, energy } = report;
  const rows = report.models.flatMap((m) => [
    ...m.targets.flatMap((t) =>
      t.points.map(
        (p) =>
          `<tr><td>${escape(m.id)}</td><td>${escape(t.backend)}</td><td>${escape(t.device)}</td><td>${p.promptTokens}</td><td>${figure(p.ttftMs, 0)}</td><td>${figure(p.promptTokensPerSecond, 0)}</td><td>${figure(p.decodeTokensPerSecond, 1)}</td><td>${p.joulesPerToken ? figure(p.joulesPerToken, 3) : "n/a"}</td></tr>`,
      ),
    ),
    ...m.skipped.map((s) => `<tr><td>${escape(m.id)}</td><td>${escape(s.backend)}</td><td>${escape(s.device)}</td><td colspan="5">not measured: ${escape(s.reason)}</td></tr>`),
  ]);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src ${cspSource}; style-src 'unsafe-inline';">
<style>
  body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 20px 20px; }
  p { color: var(--vscode-descriptionForeground); }
  img { max-width: 100%; border: 1px solid var(--vscode-panel-border); }
  table { border-collapse: collapse; margin-top: 16px; }
  th, td { padding: 4px 10px; border-bottom: 1px solid var(--vscode-panel-border); text-align: right; }
  th:nth-child(-n+3), td:nth-child(-n+3) { text-align: left; }
  .range { color: var(--vscode-descriptionForeground); font-size: 0.9em; }
</style>
</head>
<body>
<h1>This machine's speed</h1>
<p>${escape(`${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, ${machine.platform} · median of ${settings.runs} runs (range beside it), ${settings.decodeTokens} tokens decoded per run · ${report.date.slice(0, 16).replace("T", " ")}`)}</p>
<p>Energy: ${escape(energy.note)}</p>
<img src="${escape(chartUri)}" alt="Time to first token, prompt and decode tokens per second by prompt length">
<table>
<thead><tr><th>Model</th><th>Backend</th><th>Device</th><th>Prompt tokens</th><th>First token ms</th><th>Prompt tok/s</th><th>Decode tok/s</th><th>J/token</th></tr></thead>
<tbody>
${rows.join("\n")}
</tbody>
</table>
</body>
</html>`;
}

function figure(f: Figure, digits: number): string {
  return `${f.median.toFixed(digits)} <span class="range">${f.min.toFixed(digits)}–${f.max.toFixed(digits)}</span>`;
}
