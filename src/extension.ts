// The VS Code extension's entry point: thin glue over the editor-free core. Activation only reads
// settings and registers the UI; the server (`squeeze serve`, a process of its own with the engine
// and the native runtimes) is started or joined afterwards, so a window is never held up by it.
import * as vscode from "vscode";
import { registerCommands } from "./editor/commands";
import { Ctx } from "./editor/ctx";
import type { StatusView } from "./editor/statusBar";

/** What the extension exports to other extensions (and its tests). */
export interface SqueezeApi {
  /** Milliseconds activate() took. */
  readonly activationMs: number;
  /** This window's hold on the server when activate() returned: "stopped", since it starts afterwards. */
  readonly serverAtActivation: string;
  /** The API's base URL, without /v1. */
  serverUrl(): string;
  /** Milliseconds from this window's first look until the server it started or joined was ready, models loaded. */
  serverReadyMs(): number | undefined;
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
    serverAtActivation: current.host.server.kind,
    serverUrl: () => current.host.url,
    serverReadyMs: () => current.host.readyMs,
    status: () => current.status,
    onDidChangeStatus: current.onDidChangeStatus,
  };
}

/** Lets go of the server, which keeps serving the other windows (and exits after its keep-alive when none is left). */
export async function deactivate(): Promise<void> {
  await ctx?.dispose();
  ctx = undefined;
}
