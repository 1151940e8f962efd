// The inline-completion logic without the editor: the context window, the cache, the debounce
// (following the user's typing rhythm), one request at a time (a new keystroke takes over the
// request in flight when it typed what the model is generating, else cancels it, and the server
// stops generating), and the rules that shape the answer. The VS Code provider adapts it to the editor;
// the completion benchmark drives the same object with a recorded typing session.
import { abortableDelay } from "../../core/util/delay";
import type { ApiClient, InfillRequest, InfillResult } from "../apiClient";
import { CompletionCache } from "./completionCache";
import { ContextRing } from "./contextRing";
import { InFlight } from "./inFlight";
import { TypingRhythm } from "./typingRhythm";
import { budget, type CompletionMode, completionMode, contextWindow, shapeCompletion, stops, SUFFIX_CHARS } from "./completionRules";

/** Sampled requests for the other suggestions shown when the user asks for more: a small model often repeats itself. */
const ALTERNATIVE_TRIES = 3;
const ALTERNATIVE_TEMPERATURE = 0.8;

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
  /** Answered by a request asked for at an earlier keystroke, whose generation the user typed along. */
  takenOver?: boolean;
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
  /** The request the server is answering, for the next keystroke to take over. */
  private inFlight: InFlight | undefined;
  private readonly rhythm = new TypingRhythm();
  /** The suggestion after the one shown, asked for ahead of its acceptance. */
  private next: { prefix: string; suffix: string; abort: AbortController; done: Promise<void> } | undefined;

  constructor(
    private readonly client: () => ApiClient,
    private readonly model: () => string | undefined,
    private readonly settings: CompleterSettings,
    private readonly report: (r: CompletionReport) => void,
    /** Characters after the cursor sent (the benchmark measures others). */
    private readonly suffixChars = SUFFIX_CHARS,
  ) {}

  /**
   * The suggestion at `offset` in `text` (the file `filename`), or undefined; `signal` aborts when
   * the user types on. `invoked`: the user asked for it, so it does not wait for typing to pause.
   */
  async complete(filename: string, text: string, offset: number, signal: AbortSignal, { invoked = false } = {}): Promise<Suggestion | undefined> {
    const model = this.model();
    if (!model) return undefined;
    const started = performance.now();
    if (!invoked) this.rhythm.keystroke(started);
    const place = placeOf(text, offset, this.suffixChars);
    // The user accepted the suggestion shown: the one after it is on its way already. Anywhere
    // else, this request goes first.
    const next = this.next;
    if (next?.prefix === place.prefix && next.suffix === place.suffix) await next.done;
    else next?.abort.abort();
    const cached = this.cache.get(place.prefix, place.suffix);
    if (cached) {
      this.report({ latencyMs: performance.now() - started, source: "cache" });
      return { text: cached.text, source: "cache" };
    }
    // The user typed what the request in flight is generating: its answer, less the typed text.
    const takenOver = this.inFlight?.takeOver(place.prefix, place.suffix, signal);
    if (takenOver) {
      await takenOver;
      const rest = this.cache.get(place.prefix, place.suffix);
      if (rest) {
        this.report({ latencyMs: performance.now() - started, source: "server", takenOver: true });
        return { text: rest.text, source: "server" };
      }
    }
    this.inFlight?.cancel();
    if (signal.aborted) return undefined;
    const debounceMs = this.rhythm.debounceMs(this.settings.debounceMs(), this.settings.onBattery());
    if (!invoked && !(await abortableDelay(debounceMs, signal))) return undefined;
    const asked = performance.now();
    const flight = new InFlight(place.prefix, place.suffix, (flightSignal, onText) =>
      this.ask(model, filename, place, flightSignal, (result) => {
        this.rhythm.answered(performance.now() - asked);
        this.report({ latencyMs: performance.now() - started, source: "server", promptTokens: result.promptTokens, cachedTokens: result.cachedTokens, completionTokens: result.completionTokens });
      }, undefined, onText).then((shaped) => {
        if (shaped) this.cache.set(place.prefix, place.suffix, shaped);
        return shaped;
      }),
    );
    this.inFlight = flight;
    const shaped = await untilAborted(flight.answer, signal);
    if (this.inFlight === flight && !signal.aborted) this.inFlight = undefined;
    if (signal.aborted) {
      flight.release();
      return undefined;
    }
    if (!shaped) return undefined;
    this.askNext(model, filename, text, offset, shaped);
    return { text: shaped, source: "server" };
  }

  /**
   * Asks now for the suggestion that follows `suggestion` once it is accepted (llama.vscode's
   * idea), into the cache, so that accepting it shows the next one at once. Skipped on battery; the
   * user's next request anywhere else aborts it.
   */
  private askNext(model: string, filename: string, text: string, offset: number, suggestion: string): void {
    if (this.settings.onBattery()) return;
    const place = placeOf(text.slice(0, offset) + suggestion + text.slice(offset), offset + suggestion.length, this.suffixChars);
    if (this.cache.get(place.prefix, place.suffix)) return;
    const abort = new AbortController();
    const done = this.ask(model, filename, place, abort.signal, () => {}).then((shaped) => {
      if (shaped && !abort.signal.aborted) this.cache.set(place.prefix, place.suffix, shaped);
    });
    this.next = { prefix: place.prefix, suffix: place.suffix, abort, done };
  }

  /**
   * Other suggestions for the same place, when the user asks to see more: sampled answers, each
   * once. They are asked for at once, beside the first one; the server queues what its completion
   * sequences cannot take.
   */
  async alternatives(filename: string, text: string, offset: number, signal: AbortSignal): Promise<string[]> {
    const model = this.model();
    if (!model) return [];
    const place = placeOf(text, offset, this.suffixChars);
    const seeds = Array.from({ length: ALTERNATIVE_TRIES }, (_, i) => i + 1);
    const answers = await Promise.all(seeds.map((seed) => this.ask(model, filename, place, signal, () => {}, { temperature: ALTERNATIVE_TEMPERATURE, seed })));
    return [...new Set(answers.filter((a): a is string => a !== undefined))];
  }

  /** One request to the server, shaped for the place; undefined when it gave nothing usable or failed. */
  private async ask(
    model: string,
    filename: string,
    place: Place,
    signal: AbortSignal,
    onResult: (result: InfillResult) => void,
    sample?: InfillRequest["sample"],
    onText?: (generated: string) => void,
  ): Promise<string | undefined> {
    const { maxTokens, maxPredictMs, timeoutMs } = budget(place.mode, this.settings.onBattery());
    const abort = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
    try {
      const extra = this.ring.chunksFor(filename);
      const result = await this.client().infill({ model, prefix: place.prefix, suffix: place.suffix, maxTokens, maxPredictMs, stop: stops(place.mode), extra, ...(sample && { sample }) }, abort, onText);
      onResult(result);
      return shapeCompletion(result.text, place.mode, place.suffix);
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
    const { prefix, suffix } = contextWindow(text, offset, this.suffixChars);
    const extra = this.ring.chunksFor(filename);
    try {
      await this.client().infill({ model, prefix, suffix, maxTokens: 1, maxPredictMs: 1, stop: [], extra }, warming.signal);
    } catch {
      // Replaced, or no server yet: the first suggestion then evaluates the window itself.
    }
  }

  /** Stops what it asked for on its own: the warm-up, the suggestion asked ahead, and a request left for the next keystroke. */
  dispose(): void {
    this.warming?.abort();
    this.next?.abort.abort();
    this.inFlight?.cancel();
  }

  /** A new model answers differently: forget what the old one suggested. */
  clearCache(): void {
    this.cache.clear();
  }
}

interface Place {
  prefix: string;
  suffix: string;
  mode: CompletionMode;
}

/** The context window around `offset`, and whether the line there wants one line or several. */
function placeOf(text: string, offset: number, suffixChars: number): Place {
  const { prefix, suffix } = contextWindow(text, offset, suffixChars);
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  const lineEnd = text.indexOf("\n", offset);
  return { prefix, suffix, mode: completionMode(text.slice(lineStart, offset), text.slice(offset, lineEnd < 0 ? text.length : lineEnd)) };
}

/** `promise`'s value, or undefined as soon as `signal` aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    promise.then((value) => {
      signal.removeEventListener("abort", onAbort);
      resolve(value);
    }, () => resolve(undefined));
  });
}
