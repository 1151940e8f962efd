// The inline-completion logic without the editor: the context window, the cache, the debounce,
// one request at a time (a new keystroke aborts the request in flight, and the server stops
// generating), and the rules that shape the answer. The VS Code provider adapts it to the editor;
// the completion benchmark drives the same object with a recorded typing session.
import { abortableDelay } from "../../core/util/delay";
import type { ApiClient } from "../apiClient";
import { CompletionCache } from "./completionCache";
import { ContextRing } from "./contextRing";
import { budget, completionMode, contextWindow, shapeCompletion, stops } from "./completionRules";

export interface CompleterSettings {
  debounceMs(): number;
  onBattery(): boolean;
}

export interface Suggestion {
  text: string;
  source: "cache" | "server";
}

/** What one request did, for the status bar and the benchmark. */
export interface CompletionReport {
  latencyMs: number;
  source: "cache" | "server";
  promptTokens?: number;
  cachedTokens?: number;
  completionTokens?: number;
}

export class Completer {
  private readonly cache = new CompletionCache();
  /** Recently viewed and edited parts of other files; the editor feeds it. */
  readonly ring = new ContextRing();
  /** The warm-up in flight, which a newer one replaces. */
  private warming: AbortController | undefined;

  constructor(
    private readonly client: () => ApiClient,
    private readonly model: () => string | undefined,
    private readonly settings: CompleterSettings,
    private readonly report: (r: CompletionReport) => void,
  ) {}

  /** The suggestion at `offset` in `text` (the file `filename`), or undefined; `signal` aborts when the user types on. */
  async complete(filename: string, text: string, offset: number, signal: AbortSignal): Promise<Suggestion | undefined> {
    const model = this.model();
    if (!model) return undefined;
    const started = performance.now();
    const { prefix, suffix } = contextWindow(text, offset);
    const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
    const lineEnd = text.indexOf("\n", offset);
    const mode = completionMode(text.slice(lineStart, offset), text.slice(offset, lineEnd < 0 ? text.length : lineEnd));

    const cached = this.cache.get(prefix, suffix);
    if (cached) {
      this.report({ latencyMs: performance.now() - started, source: "cache" });
      return { text: cached.text, source: "cache" };
    }
    const onBattery = this.settings.onBattery();
    if (!(await abortableDelay(this.settings.debounceMs() * (onBattery ? 2 : 1), signal))) return undefined;

    const { maxTokens, maxPredictMs, timeoutMs } = budget(mode, onBattery);
    const abort = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
    try {
      const extra = this.ring.chunksFor(filename);
      const result = await this.client().infill({ model, prefix, suffix, maxTokens, maxPredictMs, stop: stops(mode), extra }, abort);
      this.report({ latencyMs: performance.now() - started, source: "server", promptTokens: result.promptTokens, cachedTokens: result.cachedTokens, completionTokens: result.completionTokens });
      const shaped = shapeCompletion(result.text, mode, suffix);
      if (shaped) this.cache.set(prefix, suffix, shaped);
      return signal.aborted || !shaped ? undefined : { text: shaped, source: "server" };
    } catch {
      // Superseded, timed out, or no server: no suggestion, and nothing to tell the user mid-typing.
      return undefined;
    }
  }

  /**
   * Has the server evaluate the window around the cursor of a file the user just opened, so that
   * the first suggestion there reuses it rather than evaluating thousands of prompt tokens while
   * the user waits. Skipped on battery; a newer warm-up replaces this one.
   */
  async warmUp(filename: string, text: string, offset: number): Promise<void> {
    const model = this.model();
    this.warming?.abort();
    if (!model || this.settings.onBattery()) return;
    const warming = (this.warming = new AbortController());
    const { prefix, suffix } = contextWindow(text, offset);
    const extra = this.ring.chunksFor(filename);
    try {
      await this.client().infill({ model, prefix, suffix, maxTokens: 1, maxPredictMs: 1, stop: [], extra }, warming.signal);
    } catch {
      // Replaced, or no server yet: the first suggestion then evaluates the window itself.
    }
  }

  /** A new model answers differently: forget what the old one suggested. */
  clearCache(): void {
    this.cache.clear();
  }
}
