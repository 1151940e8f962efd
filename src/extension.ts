// The VS Code extension's entry point: thin glue over the editor-free core. Activation only reads
// settings and registers the UI; the server (and with it the engine's worker and native runtime)
// starts afterwards, so a window is never held up by a model load.
import * as vscode from "vscode";
import { registerCommands } from "./editor/commands";
import { Ctx } from "./editor/ctx";
import type { StatusView } from "./editor/statusBar";

/** What the extension exports to other extensions (and its tests). */
export interface SqueezeApi {
  /** Milliseconds activate() took. */
  readonly activationMs: number;
  /** The model's state when activate() returned: "idle" unless activation loaded something. */
  readonly modelAtActivation: string;
  /** The API's base URL, without /v1. */
  serverUrl(): string;
  status(): StatusView;
  onDidChangeStatus: vscode.Event<StatusView>;
}

let ctx: Ctx | undefined;

export function activate(context: vscode.ExtensionContext): SqueezeApi {
  const started = performance.now();
  const current = new Ctx(context);
  ctx = current;
  context.subscriptions.push(...registerCommands(current));
  void current.autoStart();
  const activationMs = performance.now() - started;
  current.log.info(`activated in ${activationMs.toFixed(1)} ms`);
  return {
    activationMs,
    modelAtActivation: current.host.model.kind,
    serverUrl: () => current.host.url,
    status: () => current.status,
    onDidChangeStatus: current.onDidChangeStatus,
  };
}

/** Stops serving first, so that another window takes the server over at once. */
export async function deactivate(): Promise<void> {
  await ctx?.dispose();
  ctx = undefined;
}
