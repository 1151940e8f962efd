// Squeeze's settings, read and checked in one place. A value that fails its check is replaced by
// package.json's default and reported, so a typo in settings.json never stops the server.
import * as vscode from "vscode";
import { serverUrl } from "../core/server/serverAddress";
import { SETTINGS, type SettingKey, type SettingValue } from "./settingsSchema";

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

/** The settings now, and a sentence for each value that was refused. */
export function readConfig(): { config: Config; problems: string[] } {
  const section = vscode.workspace.getConfiguration(SECTION);
  const problems: string[] = [];
  const get = <K extends SettingKey>(key: K): SettingValue<K> => {
    const schema = SETTINGS[key];
    const value = section.get(key);
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data as SettingValue<K>;
    const fallback = schema.parse(section.inspect(key)?.defaultValue) as SettingValue<K>;
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
export const SERVER_KEYS: SettingKey[] = [
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

export function affects(event: vscode.ConfigurationChangeEvent, keys: SettingKey[]): boolean {
  return keys.some((key) => event.affectsConfiguration(`${SECTION}.${key}`));
}


/** Whether inline completions are on for a language: its own entry, else "*". */
export function completionsEnabled(config: Config, languageId: string): boolean {
  return config.completionsEnabled[languageId] ?? config.completionsEnabled["*"] ?? true;
}

export function baseUrl(config: Pick<Config, "host" | "port">): string {
  return serverUrl(config.host, config.port);
}
