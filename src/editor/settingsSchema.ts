// The check of each of Squeeze's settings, keyed as package.json contributes them. package.json
// alone holds the defaults (VS Code applies them); test/unit/settings.test.ts holds the two together.
import { isIP } from "node:net";
import { z } from "zod";

const host = z.string().trim().refine((h) => h === "localhost" || isIP(h) !== 0, { error: "an IP address such as 127.0.0.1, or localhost" });
const origin = z.string().refine((o) => o === "*" || /^https?:\/\/[^/\s]+$/.test(o) || /^vscode-webview:\/\/[^/\s]+$/.test(o), {
  error: 'origins such as "http://localhost:3000", or "*"',
});

export const SETTINGS = {
  "server.autoStart": z.boolean(),
  "server.keepAlive": z.int().min(0).max(604_800),
  "server.host": host,
  "server.port": z.int().min(1).max(65535),
  "server.requireApiKey": z.boolean(),
  "server.allowedOrigins": z.array(origin),
  "model.completion": z.string().trim(),
  "model.chat": z.string().trim(),
  device: z.enum(["auto", "npu", "gpu", "cpu"]),
  contextSize: z.int().min(0).max(1 << 20).refine((n) => n === 0 || n >= 64, { error: "0 (automatic) or at least 64" }),
  parallel: z.int().min(0).max(64),
  batteryPolicy: z.enum(["auto", "ignore"]),
  modelsFolder: z.string().trim(),
  "completions.enable": z.record(z.string(), z.boolean()),
  "completions.debounceMs": z.int().min(0).max(5000),
} as const satisfies Record<string, z.ZodType>;

export type SettingKey = keyof typeof SETTINGS;
export type SettingValue<K extends SettingKey> = z.infer<(typeof SETTINGS)[K]>;
