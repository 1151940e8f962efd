// Starting `squeeze serve` as a process of its own that outlives the window starting it: detached,
// its output appended to a log file every window can read (a pipe would break with the window),
// and the arguments and environment it gets from the settings.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, renameSync, statSync, writeSync } from "node:fs";
import { mkdir, open } from "node:fs/promises";
import path from "node:path";
import { configDir } from "../core/util/configDir";
import { delay } from "../core/util/delay";
import { lastWords } from "../core/util/lastWords";
import { isAlive } from "../core/util/pidLock";
import { cliCommand } from "./cliProcess";
import type { Config } from "./config";

/** Begins the lines of each start in the log. */
const HEADER = "--- squeeze serve";
/** A log this long is moved aside (one older log is kept) when a server starts. */
const MAX_LOG_BYTES = 4 * 1024 * 1024;

/** The server's log for a port, shared by the windows and kept in the user's Squeeze folder. */
export function serverLogFile(port: number): string {
  return path.join(configDir(), "logs", `server-${port}.log`);
}

/** Held by the window starting the server on a port, so that two windows finding it gone start one. */
export async function serverStartLock(port: number): Promise<string> {
  const lock = `${serverLogFile(port)}.start.lock`;
  await mkdir(path.dirname(lock), { recursive: true });
  return lock;
}

/** `squeeze serve`'s arguments (after "serve") for these settings: windows with the same settings compute the same. */
export function serveArgs(config: Config): string[] {
  const args = ["--host", config.host, "--port", String(config.port), "--keep-alive", String(config.keepAliveS)];
  args.push("--device", config.device, "--battery-policy", config.batteryPolicy);
  if (config.model.chat) args.push("--chat-model", config.model.chat);
  if (config.model.completion) args.push("--completion-model", config.model.completion);
  if (config.contextSize !== undefined) args.push("--ctx-size", String(config.contextSize));
  if (config.parallel !== undefined) args.push("--parallel", String(config.parallel));
  for (const origin of config.allowedOrigins) args.push("--allow-origin", origin);
  if (config.modelsFolder) args.push("--models-folder", config.modelsFolder);
  return args;
}

export interface StartedServer {
  pid: number;
  log: string;
  /** Where this start's output begins in the log. */
  logOffset: number;
  /** Settles when the process exits, while this window lives. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the server; the key travels in the environment, never on a command line others can read. */
export function startServer(extensionPath: string, config: Config, apiKey: string | undefined): StartedServer {
  const log = serverLogFile(config.port);
  mkdirSync(path.dirname(log), { recursive: true });
  try {
    if (statSync(log).size > MAX_LOG_BYTES) renameSync(log, `${log}.1`);
  } catch {
    // No log yet.
  }
  const fd = openSync(log, "a", 0o600);
  writeSync(fd, `${HEADER} ${new Date().toISOString()}: started by VS Code (extension host ${process.pid})\n`);
  const env = { SQUEEZE_API_KEY: config.requireApiKey ? apiKey : "" };
  const { command, args, env: fullEnv } = cliCommand(extensionPath, ["serve", ...serveArgs(config)], env);
  const logOffset = statSync(log).size;
  const child = spawn(command, args, { detached: true, stdio: ["ignore", fd, fd], env: fullEnv, windowsHide: true });
  closeSync(fd);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", () => resolve({ code: -1, signal: null }));
  });
  // The window may close; the server stays.
  child.unref();
  return { pid: child.pid ?? -1, log, logOffset, exited };
}

/**
 * A server's last words in the log, its error line for the user: from where its output begins
 * (`offset`) to the next start's header, or the log's end.
 */
export async function serverLastWords(log: string, offset: number, tellingOnly = false): Promise<string | undefined> {
  const handle = await open(log, "r").catch(() => undefined);
  if (!handle) return undefined;
  try {
    const { size } = await handle.stat();
    const buffer = Buffer.alloc(Math.max(0, Math.min(size - offset, MAX_LOG_BYTES * 2)));
    await handle.read(buffer, 0, buffer.length, offset);
    const text = buffer.toString("utf8");
    const next = text.indexOf(`\n${HEADER}`);
    return lastWords((next < 0 ? text : text.slice(0, next)).slice(-16_384), { tellingOnly })?.replace(/^squeeze: /, "");
  } finally {
    await handle.close();
  }
}

/** Asks a server process to shut down, and makes it when it has not within 10 s. */
export async function stopServerProcess(pid: number): Promise<void> {
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return; // gone already
  }
  for (let waited = 0; isAlive(pid) && waited < 10_000; waited += 100) await delay(100);
  if (isAlive(pid)) process.kill(pid, "SIGKILL");
}
