// `squeeze bench`'s chart: a self-contained SVG (no scripts, no external fonts) that a browser
// opens from disk and the extension shows in a webview. Three panels (time to first token, prompt
// tokens/s, decode tokens/s) by prompt length, one bar per model, backend and device, a whisker
// for the runs' range.
import type { BenchPoint, BenchReport, Figure } from "../protocol/benchReport";
import { escapeHtml as escape } from "../util/escapeHtml";

const PALETTE = ["#3b73b9", "#e07b39", "#4a9a5b", "#b9474d", "#8a67b5", "#8c6d4f", "#c45a9c", "#6f7782"];
const PANEL = { width: 320, height: 240, gap: 24, top: 64, left: 56, bottom: 40 };

interface Series {
  label: string;
  color: string;
  points: BenchPoint[];
}

const PANELS: { title: string; value: (p: BenchPoint) => Figure }[] = [
  { title: "time to first token (ms)", value: (p) => p.ttftMs },
  { title: "prompt tokens/s", value: (p) => p.promptTokensPerSecond },
  { title: "decode tokens/s", value: (p) => p.decodeTokensPerSecond },
];

export function benchChart(report: BenchReport): string {
  const series: Series[] = report.models.flatMap((m) => m.targets.map((t) => ({ label: `${m.id} · ${t.backend} · ${t.device}`, points: t.points, color: "" })));
  series.forEach((s, i) => (s.color = PALETTE[i % PALETTE.length]!));
  const lengths = report.settings.promptLengths;
  const legendRows = Math.ceil(series.length / 2);
  const top = PANEL.top + legendRows * 18 + 28;
  const width = PANEL.left + PANELS.length * (PANEL.width + PANEL.gap);
  const height = top + PANEL.height + PANEL.bottom;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="16" y="24" font-size="16" font-weight="600" fill="#1f2328">${escape(`Squeeze bench: ${report.machine.cpu}, ${report.machine.cores} cores, ${report.machine.memoryGiB} GiB`)}</text>`,
    `<text x="16" y="44" fill="#57606a">${escape(`${report.date.slice(0, 16).replace("T", " ")} · median of ${report.settings.runs} runs, range as whiskers · ${report.settings.decodeTokens} tokens decoded per run · energy: ${report.energy.source ?? "not measured"}`)}</text>`,
    ...series.map((s, i) => {
      const x = 16 + (i % 2) * 480;
      const y = PANEL.top + Math.floor(i / 2) * 18;
      return `<rect x="${x}" y="${y - 10}" width="12" height="12" fill="${s.color}"/><text x="${x + 18}" y="${y}" fill="#1f2328">${escape(s.label)}</text>`;
    }),
    ...PANELS.map((panel, i) => panelSvg(panel, series, lengths, PANEL.left + i * (PANEL.width + PANEL.gap), top)),
    series.length === 0 ? `<text x="16" y="${top + 20}" fill="#57606a">Nothing could be measured: see the report's skipped entries.</text>` : "",
    "</svg>",
  ];
  return `${parts.filter(Boolean).join("\n")}\n`;
}

function panelSvg(panel: (typeof PANELS)[number], series: Series[], lengths: number[], x0: number, y0: number): string {
  const values = series.flatMap((s) => s.points.map((p) => panel.value(p).max));
  const max = niceCeiling(Math.max(1, ...values));
  const y = (v: number) => y0 + PANEL.height - (v / max) * PANEL.height;
  const groupWidth = PANEL.width / Math.max(1, lengths.length);
  const barWidth = Math.max(4, Math.min(28, (groupWidth - 12) / Math.max(1, series.length)));
  const out = [`<text x="${x0}" y="${y0 - 10}" font-weight="600" fill="#1f2328">${escape(panel.title)}</text>`];
  for (let t = 0; t <= 4; t++) {
    const v = (max * t) / 4;
    out.push(`<line x1="${x0}" x2="${x0 + PANEL.width}" y1="${y(v)}" y2="${y(v)}" stroke="#d0d7de" stroke-width="${t === 0 ? 1.5 : 0.5}"/>`);
    out.push(`<text x="${x0 - 6}" y="${y(v) + 4}" text-anchor="end" fill="#57606a">${formatNumber(v)}</text>`);
  }
  lengths.forEach((length, g) => {
    const gx = x0 + g * groupWidth + (groupWidth - barWidth * series.length) / 2;
    out.push(`<text x="${x0 + g * groupWidth + groupWidth / 2}" y="${y0 + PANEL.height + 16}" text-anchor="middle" fill="#57606a">${length} tok</text>`);
    series.forEach((s, i) => {
      const point = s.points.find((p) => p.length === length);
      if (!point) return;
      const f = panel.value(point);
      const bx = gx + i * barWidth;
      const cx = bx + barWidth / 2;
      out.push(`<rect x="${bx + 1}" y="${y(f.median)}" width="${barWidth - 2}" height="${y(0) - y(f.median)}" fill="${s.color}"><title>${escape(`${s.label}, ${length} tokens: ${formatNumber(f.median)} (${formatNumber(f.min)}–${formatNumber(f.max)})`)}</title></rect>`);
      out.push(`<line x1="${cx}" x2="${cx}" y1="${y(f.min)}" y2="${y(f.max)}" stroke="#1f2328" stroke-width="1"/>`);
    });
  });
  out.push(`<text x="${x0 + PANEL.width / 2}" y="${y0 + PANEL.height + 32}" text-anchor="middle" fill="#57606a">prompt length</text>`);
  return out.join("\n");
}

/** The next round number at or above `v` (1, 2, 2.5, 5 times a power of ten). */
function niceCeiling(v: number): number {
  const power = 10 ** Math.floor(Math.log10(v));
  return ([1, 2, 2.5, 5, 10].find((m) => m * power >= v) ?? 10) * power;
}

function formatNumber(v: number): string {
  if (Number.isInteger(v) || v >= 100) return v.toFixed(0);
  return v >= 10 ? v.toFixed(1) : v.toFixed(2);
}
