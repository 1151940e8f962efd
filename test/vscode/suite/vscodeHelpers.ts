// Helpers for suites that run inside VS Code's extension host.
import { type ChildProcess, spawn } from "node:child_process";
import * as vscode from "vscode";

import type { SqueezeApi } from "../../../src/extension";
import type { StatusView } from "../../../src/editor/statusBar";

export const EXTENSION_ID = "squeeze.squeeze";

export async function squeezeApi(): Promise<SqueezeApi> {
  const extension = vscode.extensions.getExtension<SqueezeApi>(EXTENSION_ID);
  if (!extension) throw new Error(`${EXTENSION_ID} is not installed in this VS Code`);
  return extension.isActive ? extension.exports : extension.activate();
}

export function setting<T>(key: string): T | undefined {
  return vscode.workspace.getConfiguration("squeeze").get<T>(key);
}

/** Sets a setting, by default in the workspace, as a user would in .vscode/settings.json. */
export async function setSetting(key: string, value: unknown, target = vscode.ConfigurationTarget.Workspace): Promise<void> {
  await vscode.workspace.getConfiguration("squeeze").update(key, value, target);
}

/** Resolves with the first status that satisfies `predicate`; rejects after `ms` with the last one seen. */
export function waitForStatus(api: SqueezeApi, predicate: (s: StatusView) => boolean, ms = 60_000): Promise<StatusView> {
  return new Promise((resolve, reject) => {
    if (predicate(api.status())) return resolve(api.status());
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`status not reached in ${ms} ms; last: ${JSON.stringify(api.status())}`));
    }, ms);
    const subscription = api.onDidChangeStatus((s) => {
      if (!predicate(s)) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve(s);
    });
  });
}

/** A program that is not Squeeze, answering HTTP on `port` (as Ollama or a dev server would). */
export async function foreignServer(port: number): Promise<ChildProcess> {
  const code = `require("http").createServer((q, s) => s.end("not squeeze")).listen(${port}, "127.0.0.1", () => console.log("up"))`;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" } });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once("data", () => resolve());
    child.once("exit", (c) => reject(new Error(`the foreign server exited with ${c}`)));
  });
  return child;
}

/** Runs a command whose UI waits for the user, then dismisses that UI as a user pressing Escape would. */
export async function runAndDismiss(command: string, ...args: unknown[]): Promise<unknown> {
  const running = vscode.commands.executeCommand(command, ...args);
  for (let i = 0; i < 20; i++) {
    const settled = await Promise.race([running.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), 250))]);
    if (settled) break;
    await vscode.commands.executeCommand("workbench.action.closeQuickOpen");
    await vscode.commands.executeCommand("notifications.clearAll");
  }
  return running;
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body };
}
