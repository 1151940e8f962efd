// Ollama's keep_alive: how long a model stays loaded after the request. A number is seconds, a
// string is a Go duration ("5m", "1h30m", "500ms"); 0 unloads it once the request is done, and a
// negative value keeps it loaded.
import { z } from "zod";

const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, "µs": 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^([+-]?)((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/;
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g;
const MESSAGE = 'must be a number of seconds or a duration such as "5m" or "1h30m" (0 unloads, negative keeps)';

/** Milliseconds; negative: keep loaded. */
export function durationMs(text: string): number | undefined {
  if (text === "0") return 0;
  const match = DURATION.exec(text);
  if (!match) return undefined;
  let ms = 0;
  for (const [, amount, unit] of text.matchAll(PART)) ms += Number(amount) * UNIT_MS[unit];
  return match[1] === "-" ? -1 : ms;
}

/** The field as Ollama's clients send it, parsed to milliseconds (negative: keep loaded). */
export const keepAliveField = z.union([z.number(), z.string()], { error: MESSAGE }).transform((value, ctx) => {
  const ms = typeof value === "number" ? (value < 0 ? -1 : value * 1000) : durationMs(value.trim());
  if (ms === undefined || !Number.isFinite(ms)) {
    ctx.addIssue({ code: "custom", message: MESSAGE });
    return z.NEVER;
  }
  // Timers hold at most about 24.8 days; anything longer is as good as kept.
  return ms > 2 ** 31 - 1 ? -1 : Math.round(ms);
});
