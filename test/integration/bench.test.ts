// `squeeze bench` on the project's own GGUF and ONNX models: the report (--json against its
// schema), the table with both side by side, the chart file opened in headless Chromium, and its
// argument errors.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { benchReportSchema } from "../../src/core/protocol/benchReport";
import { CLI, TINY, TINY_ONNX } from "../helpers/paths";
import { ARTIFACTS } from "../vscode/ui/workbench";
import { CHROMIUM } from "../vscode/vscodeServer";

async function squeezeBench(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, "bench", ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d));
  child.stderr.on("data", (d: Buffer) => (stderr += d));
  const [code] = await once(child, "exit");
  return { code: code as number | null, stdout, stderr };
}

describe("squeeze bench", function () {
  this.timeout(180_000);
  const scratch = mkdtempSync(path.join(os.tmpdir(), "squeeze-bench-"));
  const chart = path.join(scratch, "chart.svg");
  const lengths = [32, 128];

  it("measures the GGUF model on llama.cpp and the ONNX folder on onnxruntime, as JSON its schema accepts", async () => {
    const { code, stdout, stderr } = await squeezeBench([TINY, TINY_ONNX, "--runs", "2", "--tokens", "8", "--lengths", lengths.join(","), "--json", "--chart", chart]);
    assert.equal(code, 0, stderr);
    const report = benchReportSchema.parse(JSON.parse(stdout));
    assert.deepEqual(report.settings, { runs: 2, decodeTokens: 8, promptLengths: lengths });
    assert.deepEqual(report.models.map((m) => m.targets.find((t) => t.device === "cpu")?.backend), ["llama.cpp", "onnx"]);
    for (const model of report.models) {
      const cpu = model.targets.find((t) => t.device === "cpu")!;
      assert.deepEqual(cpu.points.map((p) => p.length), lengths);
      for (const p of cpu.points) {
        assert.ok(p.promptTokens > p.length * 0.8 && p.promptTokens <= p.length + 1, `a prompt of about ${p.length} tokens: ${p.promptTokens}`);
        assert.ok(p.ttftMs.min > 0 && p.ttftMs.min <= p.ttftMs.median && p.ttftMs.median <= p.ttftMs.max);
        assert.ok(p.decodeTokensPerSecond.median > 0 && p.promptTokensPerSecond.median > 0);
      }
    }
    // This machine has no energy counter: the report says so rather than inventing joules.
    if (report.energy.source === null) {
      assert.match(report.energy.note, /no readable RAPL counter|exposes no energy counter/);
      assert.ok(report.models.every((m) => m.targets.every((t) => t.points.every((p) => p.joulesPerToken === null))));
    }
    assert.match(stderr, new RegExp(`chart written to ${chart.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  });

  it("writes a chart that opens in Chromium, one bar per model and prompt length in each panel", async () => {
    const svg = readFileSync(chart, "utf8");
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 420 } });
      await page.goto(`file://${chart}`);
      assert.equal(await page.locator("svg").count(), 1);
      // Three panels, each with a bar for every model at every length.
      assert.equal(await page.locator("rect title").count(), 3 * 2 * lengths.length);
      assert.ok(svg.includes("tiny · llama.cpp · cpu") && svg.includes("tiny-onnx · onnx · cpu"));
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, "bench-chart.png") });
    } finally {
      await browser.close();
    }
  });

  it("prints both models side by side as a table", async () => {
    const { code, stdout, stderr } = await squeezeBench([TINY, TINY_ONNX, "--runs", "1", "--tokens", "4", "--lengths", "16", "--chart", path.join(scratch, "table.svg")]);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /\| model \| backend \| device \| prompt tokens \| first token ms \| prompt tok\/s \| decode tok\/s \| J\/token \|/);
    assert.match(stdout, /\| tiny \| llama\.cpp \| cpu \| \d+ \|/);
    assert.match(stdout, /\| tiny-onnx \| onnx \| cpu \| \d+ \|/);
  });

  it("refuses bad arguments and a model it cannot find, with exit code 2 and a reason", async () => {
    const cases: [string[], RegExp][] = [
      [["--runs", "0", TINY], /--runs must be a whole number from 1 to 100/],
      [["--lengths", "12,x", TINY], /--lengths must be a whole number/],
      [["--chart", " ", TINY], /--chart must name a file/],
      [[path.join(scratch, "missing.gguf")], /no such model file or folder/],
    ];
    for (const [args, message] of cases) {
      const { code, stderr } = await squeezeBench(args);
      assert.equal(code, 2, `${args.join(" ")}: ${stderr}`);
      assert.match(stderr, message);
    }
  });
});
