// The status bar item: device, model, state and the last request's speed; a click opens the
// actions. What it shows is computed by statusView() from this window's hold on the server and
// the server's last answers, so tests can read the same view.
import * as vscode from "vscode";
import { isNpuBackend } from "../core/protocol/types";
import type { CompletionReport } from "./completions/completer";
import type { ServerState } from "./serverHost";
import type { ServerSnapshot } from "./serverMonitor";

export type StatusState = "stopped" | "starting" | "restarting" | "loading" | "ready" | "generating" | "no-model" | "error";

export interface StatusView {
  state: StatusState;
  device: "NPU" | "GPU" | "CPU" | undefined;
  model: string | undefined;
  tokensPerSecond: number | undefined;
  /** Who started the server this window uses: VS Code (a window), or someone in a terminal. */
  startedBy: "editor" | "terminal" | undefined;
  detail: string | undefined;
  text: string;
}

const ICONS: Record<StatusState, string> = {
  stopped: "$(circle-slash)",
  starting: "$(loading~spin)",
  restarting: "$(sync~spin)",
  loading: "$(loading~spin)",
  ready: "$(squirrel)",
  generating: "$(sync~spin)",
  "no-model": "$(cloud-download)",
  error: "$(error)",
};

export function statusView(server: ServerState, snapshot: ServerSnapshot): StatusView {
  // An answer from the server before this one (it was restarted since) says nothing about this one.
  const stale = server.kind === "running" && snapshot.health?.pid !== undefined && snapshot.health.pid !== server.server.pid;
  const health = stale ? undefined : snapshot.health;
  const startedBy = server.kind !== "running" ? undefined : server.server.keep_alive_s === null ? "terminal" : "editor";
  const served = health?.model ?? undefined;
  const tokensPerSecond = snapshot.stats?.tokens_per_second ?? undefined;
  const device = !served ? undefined : isNpuBackend(health?.backend ?? "") ? "NPU" : health?.gpu ? "GPU" : "CPU";
  const [state, detail] = ((): [StatusState, string | undefined] => {
    switch (server.kind) {
      case "stopped":
        return ["stopped", "The server is stopped."];
      case "starting":
        return ["starting", undefined];
      case "restarting":
        return ["restarting", `${server.reason} (attempt ${server.attempt})`];
      case "conflict":
      case "failed":
        return ["error", server.message];
    }
    if (!health) return ["starting", undefined];
    if (health.starting) return ["loading", "Loading the models"];
    if (!served) return ["no-model", health.notice ?? "No model is loaded."];
    if ((snapshot.stats?.requests_in_flight ?? 0) > 0) return ["generating", health.notice ?? undefined];
    return ["ready", health.notice ?? undefined];
  })();
  // A conflict names who holds the port: never a model or speed that program claims.
  const parts = server.kind === "conflict" ? [server.holder] : [device, served, state === "ready" ? (tokensPerSecond ? `${tokensPerSecond.toFixed(1)} tok/s` : "ready") : state];
  const text = `${ICONS[state]} Squeeze ${parts.filter(Boolean).join(" · ")}`;
  return { state, device, model: served, tokensPerSecond, startedBy, detail, text };
}

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("squeeze.status", vscode.StatusBarAlignment.Right, 100);

  constructor() {
    this.item.name = "Squeeze";
    this.item.command = "squeeze.showActions";
    this.item.text = `${ICONS.starting} Squeeze`;
    this.item.show();
  }

  render(view: StatusView, server: ServerState, snapshot: ServerSnapshot, completions: { enabled: boolean; language: string | undefined; last: CompletionReport | undefined }): void {
    this.item.text = view.text;
    this.item.backgroundColor = view.state === "error" ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
    const health = snapshot.health;
    const stats = snapshot.stats;
    const lines = [
      `**Squeeze** — ${view.state}${view.detail ? `: ${view.detail}` : ""}`,
      "",
      `Server: ${"url" in server ? server.url : "none"}/v1 (${serverLine(server)})`,
    ];
    // Each loaded model on a line of its own; an older server tells only the one it serves.
    const loaded = (health?.all_models_loaded ?? []).flatMap((m) => (m.squeeze ? [{ model_name: m.model_name, s: m.squeeze }] : []));
    for (const { model_name, s } of loaded) {
      const roles = s.roles.length > 0 ? s.roles.map((r) => (r === "chat" ? "Chat" : "Completions")).join(" and ") : "Loaded";
      const fim = s.completion_sequences > 0 ? ` (+${s.completion_sequences} for completions)` : "";
      lines.push(`${roles}: ${model_name} on ${s.device.toUpperCase()}, ${s.backend}, context ${s.context_size} tokens, ${s.parallel} at once${fim}, ${s.requests_running} running, ${s.requests_waiting} waiting`);
    }
    if (loaded.length === 0 && health?.model) {
      lines.push(`Model: ${health.model} on ${view.device}${health.gpu ? ` (${health.gpu})` : ""}, ${health.backend}, context ${health.context_size ?? "?"} tokens`);
    }
    if (stats?.tokens_per_second !== null && stats?.tokens_per_second !== undefined) {
      lines.push(`Last request: ${stats.output_tokens ?? 0} tokens at ${stats.tokens_per_second.toFixed(1)} tok/s, first token after ${(stats.time_to_first_token ?? 0).toFixed(2)} s`);
    }
    lines.push(`Inline completions: ${completions.enabled ? "on" : "off"}${completions.language ? ` for ${completions.language}` : ""}${completions.last ? `; the last one took ${describeCompletion(completions.last)}` : ""}`);
    lines.push("", "Click for actions");
    this.item.tooltip = new vscode.MarkdownString(lines.join("  \n"));
  }

  dispose(): void {
    this.item.dispose();
  }
}

function serverLine(server: ServerState): string {
  if (server.kind !== "running") return server.kind;
  const { pid, keep_alive_s } = server.server;
  if (keep_alive_s === null) return `pid ${pid}, started from a terminal`;
  return `pid ${pid}, started by VS Code; ${keep_alive_s === 0 ? "exits with the last window" : `stays ${keep_alive_s} s after the last window`}`;
}

function describeCompletion(r: CompletionReport): string {
  const ms = `${Math.round(r.latencyMs)} ms`;
  if (r.source === "cache") return `${ms}, from the cache`;
  return `${ms} from the server (${r.promptTokens ?? "?"} prompt tokens, ${r.cachedTokens ?? 0} of them reused from its KV cache)`;
}
