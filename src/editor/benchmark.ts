// "Squeeze: Benchmark This Machine": runs `squeeze bench` (which loads runtimes, so in a process of
// its own, never in the extension host) on the models the settings name, or else on the models
// Squeeze picks for this machine, with its progress in a cancellable notification, then shows the
// report and the chart it wrote in a panel.
import { spawn } from "node:child_process";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import * as vscode from "vscode";
import { type BenchReport, benchChartName, benchReportSchema } from "../core/protocol/benchReport";
import { benchmarkHtml } from "./benchmarkPanel";
import { cliCommand } from "./cliProcess";
import type { Ctx } from "./ctx";

export async function benchmarkMachine(ctx: Ctx): Promise<BenchReport | undefined> {
  const folder = ctx.extension.globalStorageUri.fsPath;
  await mkdir(folder, { recursive: true });
  const chart = path.join(folder, benchChartName(new Date().toISOString()));
  const models = [...new Set([ctx.config.model.chat, ctx.config.model.completion].filter(Boolean))];
  const report = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: "Squeeze: benchmarking this machine", cancellable: true },
    (progress, token) => runBench(ctx.extension.extensionPath, [...models, "--json", "--chart", chart], (line) => progress.report({ message: line }), token),
  );
  if (!report) return undefined;
  const panel = vscode.window.createWebviewPanel("squeeze.benchmark", "Squeeze Benchmark", vscode.ViewColumn.Active, {
    localResourceRoots: [vscode.Uri.file(folder)],
  });
  panel.webview.html = benchmarkHtml(report, panel.webview.asWebviewUri(vscode.Uri.file(chart)).toString(), panel.webview.cspSource);
  return report;
}

/** Runs the CLI's bench to its end; undefined when the user cancelled it. */
function runBench(extensionPath: string, args: string[], onProgress: (line: string) => void, token: vscode.CancellationToken): Promise<BenchReport | undefined> {
  const { command, args: argv, env } = cliCommand(extensionPath, ["bench", ...args]);
  const child = spawn(command, argv, { env, stdio: ["ignore", "pipe", "pipe"], windowsHide: true });
  let stdout = "";
  let lastLine = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d));
  child.stderr.on("data", (d: Buffer) => {
    for (const line of d.toString().split("\n").filter(Boolean)) {
      lastLine = line.replace(/^squeeze: /, "");
      onProgress(lastLine);
    }
  });
  const cancel = token.onCancellationRequested(() => child.kill());
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => {
      cancel.dispose();
      if (token.isCancellationRequested) return resolve(undefined);
      if (code !== 0) return reject(new Error(`the benchmark failed: ${lastLine || `exit code ${code}`}`));
      try {
        resolve(benchReportSchema.parse(JSON.parse(stdout)));
      } catch (err) {
        reject(new Error(`the benchmark's report could not be read: ${(err as Error).message}`));
      }
    });
  });
}
