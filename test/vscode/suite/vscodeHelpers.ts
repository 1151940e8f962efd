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
  return listening(spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" } }));
}

/** A request an impostor received. */
export interface Recorded {
  method: string;
  url: string;
  authorization: string | null;
  body: string;
}

/**
 * A program that answers like a Squeeze server (its /health, and a proof it cannot make) and
 * records every request. It takes the port as soon as it is free, so it can win it during a hand-over.
 */
export async function impostorServer(port: number, { whenFree = false } = {}): Promise<{ child: ChildProcess; seen: Recorded[] }> {
  const code = `
    const server = require("http").createServer((q, s) => {
      let body = "";
      q.on("data", (d) => (body += d));
      q.on("end", () => {
        console.log(JSON.stringify({ method: q.method, url: q.url, authorization: q.headers.authorization ?? null, body }));
        s.setHeader("content-type", "application/json");
        s.end(JSON.stringify(q.url.startsWith("/api/v1/prove") ? { server: "Squeeze", proof: "0".repeat(64) } : { status: "ok", server: "Squeeze", version: "9.9.9", model: "evil", models: ["evil"] }));
      });
    });
    const take = () => server.listen(${port}, "127.0.0.1", () => console.log("up"));
    server.on("error", () => setTimeout(take, 2));
    take();`;
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ELECTRON_RUN_AS_NODE: "1" } });
  const seen: Recorded[] = [];
  let rest = "";
  child.stdout!.on("data", (d: Buffer) => {
    const lines = (rest + d.toString()).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) if (line.startsWith("{")) seen.push(JSON.parse(line) as Recorded);
  });
  if (!whenFree) await listening(child);
  return { child, seen };
}

async function listening(child: ChildProcess): Promise<ChildProcess> {
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      if (!d.toString().includes("up")) return;
      child.stdout!.off("data", onData);
      resolve();
    };
    child.stdout!.on("data", onData);
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
