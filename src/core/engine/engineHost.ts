// The host side of the engine: owns the worker thread, queues requests, and turns worker
// messages back into streams. A dead worker fails what it was running; the next request
// starts a new worker and loads the model again. A watchdog asks the worker every few seconds
// whether it still answers; one that does not is given up the same way.
import { once } from "node:events";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { hasLocalBuild, configureOpenMp } from "../backends/llamacpp/llamaRuntime";
import { validateModel } from "../models/validateModel";
import { AsyncQueue } from "../util/asyncQueue";
import { delay } from "../util/delay";
import type { Engine, EngineHealth, EngineStats } from "../protocol/engine";
import { EngineError } from "../protocol/errors";
import { ModelProofs, verdictKey } from "./modelProofs";
import { trackInUse } from "./modelsInUse";
import {
  SHUTDOWN_TIMEOUT_MS,
  type CallRequest,
  type CallResults,
  type HostMessage,
  type WireError,
  type WorkerMessage,
} from "../protocol/wire";
import { type Release, Scheduler } from "./scheduler";
import type { ChatMessage, EmbedInput, EmbedOptions, Embeddings, GenerationEvent, GenerationOptions, GenerationRequest, LoadSpec, ModelInfo, Ranking, TokenizeInput } from "../protocol/types";

export interface EngineHostOptions {
  /** The bundled worker script; defaults to worker.js beside this bundle. */
  workerPath?: string;
  /** Requests that may wait while the model's slots are taken; more are refused with queue_full. */
  maxQueue?: number;
  /** Told of every worker started (logging, diagnostics). */
  onWorkerStart?: (worker: Worker) => void;
  /** Proves model files harmless before the worker loads them; defaults to one using proof.js beside the worker. */
  proofs?: ModelProofs;
  /** How often the worker is asked whether it answers, and how long it may take to (WATCHDOG). */
  watchdog?: { intervalMs: number; limitMs: number };
}

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Waiting requests per model: a burst of 16 clients at once is served, not refused. */
export const DEFAULT_QUEUE = 32;

/**
 * The worker's event loop stays free while the runtime works (its calls are asynchronous), so
 * it answers within milliseconds unless something holds it: 30 s without an answer is stuck.
 */
export const WATCHDOG = { intervalMs: 5_000, limitMs: 30_000 } as const;

export class EngineHost implements Engine {
  private readonly workerPath: string;
  private readonly proofs: ModelProofs;
  private readonly queue: Scheduler;
  private readonly maxQueue: number;
  private tokenizing = 0;
  /** Each client's completions in flight, all for one place (see supersede). */
  private readonly latestCompletion = new Map<string, { place: string; requests: Set<AbortController> }>();
  /** The live worker thread, and the promise of it being ready (model loaded). */
  private current: Worker | undefined;
  private ready: Promise<Worker> | undefined;
  private nextId = 1;
  private readonly calls = new Map<number, PendingCall>();
  private readonly streams = new Map<number, AsyncQueue<GenerationEvent>>();
  /** What to load again into a new worker after a crash. */
  private spec: LoadSpec | undefined;
  private info: ModelInfo | undefined;
  private disposed = false;
  private watchdog: { timer: NodeJS.Timeout; askedAt?: number } | undefined;
  /**
   * Loads under way in the worker: a runtime's start (loading its libraries, a GPU driver) holds
   * the worker's thread for a while, so the watchdog waits until they are done.
   */
  private loads = 0;
  /** Workers given up by the watchdog that have not ended yet. */
  private readonly letGo = new Set<Worker>();
  /** The worker being started and given the model. */
  private starting: Promise<Worker> | undefined;
  private lastFailure: EngineHealth["lastFailure"];
  /** The loaded file, as the process's file of models in use lists it. */
  private inUse: ReturnType<typeof trackInUse> | undefined;
  private readonly counters = { completed: 0, cancelled: 0, failed: 0, generatedTokens: 0, workerStarts: 0 };

  constructor(private readonly options: EngineHostOptions = {}) {
    this.workerPath = options.workerPath ?? path.join(__dirname, "worker.js");
    this.proofs = options.proofs ?? new ModelProofs({ proofPath: path.join(path.dirname(this.workerPath), "proof.js") });
    this.maxQueue = options.maxQueue ?? DEFAULT_QUEUE;
    this.queue = new Scheduler(this.maxQueue);
  }

  get model(): ModelInfo | undefined {
    return this.info;
  }

  async load(spec: LoadSpec): Promise<ModelInfo> {
    // Native runtimes abort the whole process on some malformed files: the JS checks say why for
    // the known ones, the proof in a throwaway process holds for the rest.
    await validateModel(spec);
    await this.proofs.prove(spec);
    const release = await this.queue.enter("exclusive");
    const use = trackInUse(spec, verdictKey(spec));
    try {
      this.info = undefined;
      this.spec = undefined;
      this.release();
      this.info = await this.call({ op: "load", spec }, false);
      this.spec = spec;
      this.inUse = use;
      use.loaded();
      this.queue.setSlots(this.info.slots);
      return this.info;
    } catch (err) {
      use.release();
      throw err;
    } finally {
      release();
    }
  }

  async unload(): Promise<void> {
    const release = await this.queue.enter("exclusive");
    try {
      this.spec = undefined;
      this.info = undefined;
      if (this.current) await this.call({ op: "unload" }, false);
      this.release();
    } finally {
      release();
    }
  }

  /**
   * Tokenizing does not wait for a generation slot (the chat view measures prompts while answers
   * stream), but is bounded the same way: as many at once as the queue holds, more refused.
   */
  async tokenize(input: TokenizeInput): Promise<number[]> {
    if (this.tokenizing >= this.maxQueue) {
      throw new EngineError("queue_full", `${this.tokenizing} tokenize requests are already running for the model; try again shortly`);
    }
    this.tokenizing++;
    try {
      return await this.call({ op: "tokenize", input });
    } finally {
      this.tokenizing--;
    }
  }

  embed(inputs: EmbedInput[], options: EmbedOptions, signal?: AbortSignal): Promise<Embeddings> {
    return this.compute({ op: "embed", inputs, options }, signal);
  }

  rank(query: string, documents: string[], options: EmbedOptions, signal?: AbortSignal): Promise<Ranking> {
    return this.compute({ op: "rank", query, documents, options }, signal);
  }

  /** Embeddings and rankings take a generation slot, waiting in the same bounded queue, and answer once. */
  private async compute<K extends "embed" | "rank">(request: Extract<CallRequest, { op: K }>, signal?: AbortSignal): Promise<CallResults[K]> {
    if (!this.spec) throw new EngineError("no_model", "no model is loaded");
    const release = await this.queue.enter("generation", signal);
    try {
      return await this.call<K>(request);
    } finally {
      release();
    }
  }

  chat(messages: ChatMessage[], options: GenerationOptions, signal?: AbortSignal): AsyncIterable<GenerationEvent> {
    return this.generate({ kind: "chat", messages, options }, signal);
  }

  complete(prompt: string, options: GenerationOptions, signal?: AbortSignal): AsyncIterable<GenerationEvent> {
    return this.generate({ kind: "completion", prompt, options }, signal);
  }

  infill(prefix: string, suffix: string, options: GenerationOptions, signal?: AbortSignal): AsyncIterable<GenerationEvent> {
    return this.generate({ kind: "infill", prefix, suffix, options }, signal);
  }

  stats(): EngineStats {
    return { queued: this.queue.length, running: this.queue.active, ...this.counters };
  }

  health(): EngineHealth {
    const state = this.starting ? "starting" : this.current || !this.lastFailure ? "ready" : "stopped";
    return { state, ...(this.lastFailure && { lastFailure: this.lastFailure }) };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.stopWatching();
    const worker = this.current;
    if (worker) {
      // Terminating a worker with native work in flight aborts the process: let it wind down first.
      await Promise.race([this.post<"shutdown">(worker, { op: "shutdown" }), delay(SHUTDOWN_TIMEOUT_MS)]).catch(() => undefined);
    }
    this.current = undefined;
    this.ready = undefined;
    this.failPending(new EngineError("cancelled", "the engine was shut down"));
    await worker?.terminate();
    // A process that ends while a given-up worker's native call is still running aborts: give them the same time.
    await Promise.race([Promise.all([...this.letGo].map((w) => once(w, "exit"))), delay(SHUTDOWN_TIMEOUT_MS)]);
    this.release();
  }

  /** The loaded file is no longer in this process's runtime. */
  private release(): void {
    this.inUse?.release();
    this.inUse = undefined;
  }

  /** Admission happens now, so a full queue is an error before any response has started. */
  private generate(request: GenerationRequest, callerSignal?: AbortSignal): AsyncIterable<GenerationEvent> {
    if (!this.spec) throw new EngineError("no_model", "no model is loaded");
    const { signal, settled } = this.supersede(request, callerSignal);
    const turn = this.queue.enter(request.kind === "infill" ? "fim" : "generation", signal);
    // A cancellation while waiting is rethrown when the stream is read; this only keeps an unread one from being "unhandled".
    turn.catch(() => undefined);
    return this.run(turn, request, signal, settled);
  }

  /**
   * A client's new completion cancels the ones it sent before for another prompt (the user typed
   * on), waiting or running, so that a window has one place in flight. Completions for the same
   * prompt (the sampled alternatives the user asked to see) go on side by side.
   */
  private supersede(request: GenerationRequest, signal: AbortSignal | undefined): { signal?: AbortSignal; settled?: () => void } {
    if (request.kind !== "infill" || request.options.client === undefined) return { signal };
    const client = request.options.client;
    const place = JSON.stringify([request.prefix, request.suffix, request.options.middle, request.options.inputExtra]);
    let latest = this.latestCompletion.get(client);
    if (latest?.place !== place) {
      for (const older of latest?.requests ?? []) older.abort(new EngineError("cancelled", "a newer completion from the same client superseded it"));
      latest = { place, requests: new Set() };
      this.latestCompletion.set(client, latest);
    }
    const controller = new AbortController();
    latest.requests.add(controller);
    const settled = () => {
      latest.requests.delete(controller);
      if (latest.requests.size === 0 && this.latestCompletion.get(client) === latest) this.latestCompletion.delete(client);
    };
    return { signal: signal ? AbortSignal.any([signal, controller.signal]) : controller.signal, settled };
  }

  private async *run(
    turn: Promise<Release>,
    request: GenerationRequest,
    signal?: AbortSignal,
    settled?: () => void,
  ): AsyncGenerator<GenerationEvent> {
    // A reader that stops early has cancelled its request.
    let outcome: "completed" | "cancelled" | "failed" = "cancelled";
    let release: Release | undefined;
    let stream: { events: AsyncQueue<GenerationEvent>; cancel(): void } | undefined;
    try {
      release = await turn;
      const worker = await this.ensureWorker();
      const id = this.nextId++;
      const events = new AsyncQueue<GenerationEvent>();
      const cancel = () => worker.postMessage({ type: "cancel", id } satisfies HostMessage);
      stream = { events, cancel };
      this.streams.set(id, events);
      // The turn ends when the worker is done, not the reader: a slow client must not hold up the queue.
      void events.settled.then(release);
      signal?.addEventListener("abort", cancel, { once: true });
      this.send(worker, { type: "generate", id, request }, () => this.streams.delete(id), (err) => events.fail(err));
      // The caller may have gone while a new worker was starting: the listener came too late then.
      if (signal?.aborted) cancel();
      for await (const event of events) {
        // Events the worker sent before it saw the cancel are not the caller's any more.
        if (signal?.aborted) throw cancelled(signal);
        // A reader that stops once it has the result has not cancelled anything.
        if (event.type === "done") outcome = "completed";
        yield event;
      }
      outcome = "completed";
    } catch (err) {
      // Once the caller cancelled, whatever the worker answers is that cancellation, told the caller's way.
      const error = signal?.aborted ? cancelled(signal) : EngineError.from(err);
      outcome = error.code === "cancelled" ? "cancelled" : "failed";
      throw error;
    } finally {
      if (stream) {
        signal?.removeEventListener("abort", stream.cancel);
        if (!stream.events.isEnded) stream.cancel();
        // Counted once the worker is done with it, so the stats never move after a request is counted.
        await stream.events.settled;
      } else {
        release?.();
      }
      this.counters[outcome]++;
      settled?.();
    }
  }

  private async call<K extends CallRequest["op"]>(
    request: Extract<CallRequest, { op: K }>,
    reload = true,
  ): Promise<CallResults[K]> {
    return this.post<K>(await this.ensureWorker(reload), request);
  }

  /** The running worker, or a new one with the current model loaded into it. */
  private ensureWorker(reload = true): Promise<Worker> {
    if (this.disposed) return Promise.reject(new EngineError("cancelled", "the engine was shut down"));
    if (!this.ready) {
      const ready = this.start(reload ? this.spec : undefined);
      this.ready = ready;
      this.starting = ready;
      const started = () => {
        if (this.starting === ready) this.starting = undefined;
      };
      ready.then(started, () => {
        started();
        if (this.ready === ready) this.ready = undefined;
      });
    }
    return this.ready;
  }

  private async start(spec: LoadSpec | undefined): Promise<Worker> {
    // Before the worker loads llama.cpp: OpenMP reads its settings from the process's environment.
    if (hasLocalBuild()) configureOpenMp();
    const worker = new Worker(this.workerPath);
    this.current = worker;
    this.counters.workerStarts++;
    worker.on("message", (message: WorkerMessage) => this.onMessage(message));
    worker.on("error", (err) => this.onWorkerGone(worker, `it threw: ${err.message}`));
    worker.on("exit", (code) => this.onWorkerGone(worker, `it exited with code ${code}`));
    this.options.onWorkerStart?.(worker);
    this.watch(worker);
    if (spec) {
      try {
        // The file may have changed since it was first checked.
        await validateModel(spec);
        await this.proofs.prove(spec);
        await this.post<"load">(worker, { op: "load", spec });
      } catch (err) {
        // The load has settled (no native work in flight): end this worker; the next request tries afresh.
        if (this.current === worker) this.current = undefined;
        await worker.terminate();
        throw err;
      }
    }
    return worker;
  }

  private post<K extends CallRequest["op"]>(worker: Worker, request: Extract<CallRequest, { op: K }>): Promise<CallResults[K]> {
    const answer = new Promise<CallResults[K]>((resolve, reject) => {
      const id = this.nextId++;
      this.calls.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.send(worker, { type: "call", id, request }, () => this.calls.delete(id), reject);
    });
    if (request.op === "load") {
      this.loads++;
      void answer.catch(() => undefined).finally(() => this.loads--);
    }
    return answer;
  }

  /**
   * Hands a message to the worker. A request that cannot be copied to it (a structure nested
   * too deep, say) fails here, before it reached the worker: it must not wait for an answer
   * that never comes, holding its place in the queue.
   */
  private send(worker: Worker, message: HostMessage, forget: () => void, fail: (err: EngineError) => void): void {
    try {
      worker.postMessage(message);
    } catch (err) {
      forget();
      fail(new EngineError("invalid_request", `the request cannot be handed to the engine: ${(err as Error).message}`));
    }
  }

  private onMessage(message: WorkerMessage): void {
    const stream = this.streams.get(message.id);
    if (stream) {
      if (message.type === "event") {
        // Counted as the worker produces them, whatever pace the reader keeps.
        if (message.event.type === "text") this.counters.generatedTokens += message.event.tokens;
        stream.push(message.event);
        return;
      }
      this.streams.delete(message.id);
      if (message.type === "result") stream.close();
      else stream.fail(fromWire(message.error));
      return;
    }
    const call = this.calls.get(message.id);
    if (!call) return;
    this.calls.delete(message.id);
    if (message.type === "error") call.reject(fromWire(message.error));
    else if (message.type === "result") call.resolve(message.value);
  }

  /** Everything pending ran on this worker: fail it all; the next request starts afresh. */
  private onWorkerGone(worker: Worker, why: string): void {
    if (this.current !== worker) return;
    this.stopWatching();
    this.current = undefined;
    this.ready = undefined;
    this.lastFailure = { at: new Date().toISOString(), reason: `the engine worker stopped (${why})` };
    this.failPending(new EngineError("worker_crashed", `${this.lastFailure.reason}; the next request starts a new one`));
  }

  private watch(worker: Worker): void {
    this.stopWatching();
    const { intervalMs, limitMs } = this.options.watchdog ?? WATCHDOG;
    const watchdog: { timer: NodeJS.Timeout; askedAt?: number } = {
      timer: setInterval(() => {
        if (this.loads > 0) watchdog.askedAt = undefined;
        else if (watchdog.askedAt === undefined) {
          watchdog.askedAt = Date.now();
          this.post<"ping">(worker, { op: "ping" }).then(
            () => (watchdog.askedAt = undefined),
            () => undefined,
          );
        } else if (Date.now() - watchdog.askedAt > limitMs) {
          this.onWorkerStuck(worker, limitMs);
        }
      }, intervalMs),
    };
    // The watchdog never keeps a process alive by itself.
    watchdog.timer.unref();
    this.watchdog = watchdog;
  }

  private stopWatching(): void {
    clearInterval(this.watchdog?.timer);
    this.watchdog = undefined;
  }

  /**
   * A worker that stopped answering fails what it was running and is replaced at the next
   * request. Ending its thread now could abort the process (native work in flight), so it is
   * asked to wind down, and ended once it answers that; until then it is only let go.
   */
  private onWorkerStuck(worker: Worker, limitMs: number): void {
    this.onWorkerGone(worker, `it did not answer for ${limitMs / 1000} s`);
    const id = this.nextId++;
    worker.on("message", (message: WorkerMessage) => {
      if (message.id === id) void worker.terminate();
    });
    this.send(worker, { type: "call", id, request: { op: "shutdown" } }, () => undefined, () => void worker.terminate());
    this.letGo.add(worker);
    worker.once("exit", () => this.letGo.delete(worker));
  }

  private failPending(error: EngineError): void {
    for (const call of this.calls.values()) call.reject(error);
    this.calls.clear();
    for (const stream of this.streams.values()) stream.fail(error);
    this.streams.clear();
  }
}

function cancelled(signal: AbortSignal): EngineError {
  return signal.reason instanceof EngineError ? signal.reason : new EngineError("cancelled", "the request was cancelled");
}

function fromWire({ code, message }: WireError): EngineError {
  return new EngineError(code, message);
}
