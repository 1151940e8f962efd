// Entry point of the engine worker thread: owns one backend and the model it has loaded.
// The worker outlives models: loading another model disposes the old one, not the thread.
//
// A worker must never be terminated while native work is in flight: node-llama-cpp's
// callbacks would then land in a dead environment and abort the whole process. So the host
// first sends "shutdown" (cancel everything, wait for the native work, free the model) and
// terminates the worker only then; and an error that escapes makes the worker wind down the
// same way and exit by itself with code 1, which the host reports as a crash.
import { parentPort } from "node:worker_threads";
import { createBackend } from "../backends";
import { delay } from "../util/delay";
import { EngineError } from "../protocol/errors";
import { SHUTDOWN_TIMEOUT_MS, type CallRequest, type HostMessage, type WorkerMessage } from "../protocol/wire";
import type { Backend, GenerationEvent, GenerationRequest } from "../protocol/types";

const port = parentPort;
if (!port) throw new Error("the engine worker must run in a worker thread");

let backend: { name: string; instance: Backend } | undefined;
/** A model load in progress: native work that must settle before the worker may end. */
let loading: Promise<unknown> | undefined;
/** Generations by request id, and the promises of those still settling. */
const running = new Map<number, AbortController>();
const inFlight = new Set<Promise<void>>();

const post = (message: WorkerMessage) => port.postMessage(message);

function postError(id: number, err: unknown): void {
  const { code, message } = EngineError.from(err);
  post({ type: "error", id, error: { code, message } });
}

function loaded(): Backend {
  if (!backend) throw new EngineError("no_model", "no model is loaded");
  return backend.instance;
}

/** Cancels every generation, waits for the native work to settle, and frees the model. */
async function release(): Promise<void> {
  for (const controller of running.values()) controller.abort();
  await Promise.all(inFlight);
  await loading?.catch(() => undefined);
  await backend?.instance.unload();
}

async function call(request: CallRequest): Promise<unknown> {
  switch (request.op) {
    case "load": {
      // A backend unloads its own previous model; another backend's model is unloaded here.
      if (backend?.name !== request.spec.backend) {
        await backend?.instance.unload();
        backend = { name: request.spec.backend, instance: createBackend(request.spec.backend) };
      }
      loading = backend.instance.load(request.spec);
      return loading;
    }
    case "unload":
      return backend?.instance.unload();
    case "tokenize":
      return loaded().tokenize(request.input);
    case "embed":
      return loaded().embed(request.inputs, request.options);
    case "rank":
      return loaded().rank(request.query, request.documents, request.options);
    case "ping":
      return undefined;
    case "shutdown":
      return release();
  }
}

function stream(request: GenerationRequest, signal: AbortSignal): AsyncIterable<GenerationEvent> {
  const b = loaded();
  switch (request.kind) {
    case "chat":
      return b.chat(request.messages, request.options, signal);
    case "completion":
      return b.complete(request.prompt, request.options, signal);
    case "infill":
      return b.infill(request.prefix, request.suffix, request.options, signal);
  }
}

async function generate(id: number, request: GenerationRequest, controller: AbortController): Promise<void> {
  // Registered before anything can throw, so the finally below always finds it.
  running.set(id, controller);
  try {
    for await (const event of stream(request, controller.signal)) post({ type: "event", id, event });
    post({ type: "result", id, value: undefined });
  } catch (err) {
    postError(id, fatal ?? (controller.signal.aborted ? new EngineError("cancelled", "the request was cancelled") : err));
  } finally {
    running.delete(id);
  }
}

function onMessage(message: HostMessage): void {
  switch (message.type) {
    case "call":
      call(message.request).then(
        (value) => post({ type: "result", id: message.id, value }),
        (err) => postError(message.id, err),
      );
      return;
    case "generate": {
      const finished = generate(message.id, message.request, new AbortController());
      inFlight.add(finished);
      void finished.finally(() => inFlight.delete(finished));
      return;
    }
    case "cancel":
      running.get(message.id)?.abort();
      return;
    default:
      throw new Error(`unknown message from the engine host: ${JSON.stringify(message)}`);
  }
}

/** Set once the worker is failing: what every request still running is told. */
let fatal: EngineError | undefined;

function die(err: unknown): void {
  if (fatal) return;
  fatal = new EngineError("worker_crashed", `the engine worker failed (${(err as Error)?.message ?? String(err)}); the next request starts a new one`);
  console.error("[squeeze] engine worker failed:", err);
  // Bounded: a runtime that does not settle must not keep a broken worker alive.
  void Promise.race([release().catch(() => undefined), delay(SHUTDOWN_TIMEOUT_MS)]).finally(() => process.exit(1));
}

process.on("uncaughtException", die);
process.on("unhandledRejection", die);
port.on("message", onMessage);
