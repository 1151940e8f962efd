// Squeeze's settings, read and checked in one place. A value that fails its check is replaced by
// the default and reported, so a typo in settings.json never stops the server.
import { isIP } from "node:net";
import * as vscode from "vscode";
import { z } from "zod";
import { serverUrl } from "../core/server/serverAddress";

export const SECTION = "squeeze";

export interface Config {
  autoStart: boolean;
  /** Seconds the server stays after the last window closes. */
  keepAliveS: number;
  host: string;
  port: number;
  requireApiKey: boolean;
  allowedOrigins: string[];
  /** Model ids or paths per role; "" lets Squeeze pick for this machine. */
  model: { completion: string; chat: string };
  device: "auto" | "npu" | "gpu" | "cpu";
  /** Tokens; undefined lets Squeeze size it. */
  contextSize: number | undefined;
  /** Generations at once; undefined lets Squeeze choose. */
  parallel: number | undefined;
  batteryPolicy: "auto" | "ignore";
  /** The Hugging Face cache to keep models in; undefined: HF_HUB_CACHE or ~/.cache/huggingface/hub. */
  modelsFolder: string | undefined;
  completionsEnabled: Record<string, boolean>;
  /** Milliseconds of quiet typing before a completion request (doubled on battery). */
  completionsDebounceMs: number;
}

const host = z.string().trim().refine((h) => h === "localhost" || isIP(h) !== 0, { error: "an IP address such as 127.0.0.1, or localhost" });
const origin = z.string().refine((o) => o === "*" || /^https?:\/\/[^/\s]+$/.test(o) || /^vscode-webview:\/\/[^/\s]+$/.test(o), {
  error: 'origins such as "http://localhost:3000", or "*"',
});

/** Each setting with its check and default; the defaults match package.json's. */
const SETTINGS = {
  "server.autoStart": [z.boolean(), true],
  "server.keepAlive": [z.int().min(0).max(604_800), 300],
  "server.host": [host, "127.0.0.1"],
  "server.port": [z.int().min(1).max(65535), 8000],
  "server.requireApiKey": [z.boolean(), false],
  "server.allowedOrigins": [z.array(origin), []],
  "model.completion": [z.string().trim(), ""],
  "model.chat": [z.string().trim(), ""],
  device: [z.enum(["auto", "npu", "gpu", "cpu"]), "auto"],
  contextSize: [z.int().min(0).max(1 << 20).refine((n) => n === 0 || n >= 64, { error: "0 (automatic) or at least 64" }), 0],
  parallel: [z.int().min(0).max(64), 0],
  batteryPolicy: [z.enum(["auto", "ignore"]), "auto"],
  modelsFolder: [z.string().trim(), ""],
  "completions.enable": [z.record(z.string(), z.boolean()), { "*": true }],
  "completions.debounceMs": [z.int().min(0).max(5000), 150],
} as const satisfies Record<string, readonly [z.ZodType, unknown]>;

type Key = keyof typeof SETTINGS;

/** The settings now, and a sentence for each value that was refused. */
export function readConfig(): { config: Config; problems: string[] } {
  const section = vscode.workspace.getConfiguration(SECTION);
  const problems: string[] = [];
  const get = <K extends Key>(key: K): (typeof SETTINGS)[K][1] => {
    const [schema, fallback] = SETTINGS[key];
    const value = section.get(key, fallback);
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data as (typeof SETTINGS)[K][1];
    problems.push(`squeeze.${key} ${JSON.stringify(value)} is not valid (${parsed.error.issues[0]?.message}); using ${JSON.stringify(fallback)}`);
    return fallback;
  };
  const contextSize = get("contextSize");
  const modelsFolder = get("modelsFolder");
  const parallel = get("parallel");
  const config: Config = {
    autoStart: get("server.autoStart"),
    keepAliveS: get("server.keepAlive"),
    host: get("server.host"),
    port: get("server.port"),
    requireApiKey: get("server.requireApiKey"),
    allowedOrigins: [...get("server.allowedOrigins")],
    model: { completion: get("model.completion"), chat: get("model.chat") },
    device: get("device"),
    contextSize: contextSize === 0 ? undefined : contextSize,
    parallel: parallel === 0 ? undefined : parallel,
    batteryPolicy: get("batteryPolicy"),
    modelsFolder: modelsFolder === "" ? undefined : modelsFolder,
    completionsEnabled: { ...get("completions.enable") },
    completionsDebounceMs: get("completions.debounceMs"),
  };
  return { config, problems };
}

/** What `squeeze serve` is started with: a change starts the server again with the new settings. */
export const SERVER_KEYS: Key[] = [
  "server.host",
  "server.port",
  "server.keepAlive",
  "server.requireApiKey",
  "server.allowedOrigins",
  "modelsFolder",
  "model.completion",
  "model.chat",
  "device",
  "contextSize",
  "parallel",
  "batteryPolicy",
];

export function affects(event: vscode.ConfigurationChangeEvent, keys: Key[]): boolean {
  return keys.some((key) => event.affectsConfiguration(`${SECTION}.${key}`));
}


/** Whether inline completions are on for a language: its own entry, else "*". */
export function completionsEnabled(config: Config, languageId: string): boolean {
  return config.completionsEnabled[languageId] ?? config.completionsEnabled["*"] ?? true;
}

export function baseUrl(config: Pick<Config, "host" | "port">): string {
  return serverUrl(config.host, config.port);
}
