// Models on AMD's NPU, run by AMD's runtime servers (ryzenai-server, FastFlowLM). The backend
// starts the runtime on a private loopback port, streams generations through its OpenAI API,
// and stops it on unload. A runtime that dies fails the request it was serving with a clear
// error; the next request starts it again.
import type { Tokenizer } from "@huggingface/tokenizers";
import { EngineError } from "../../protocol/errors";
import type {
  Backend,
  ChatMessage,
  Embeddings,
  GenerationEvent,
  GenerationOptions,
  LoadSpec,
  ModelInfo,
  Ranking,
  TokenizeInput,
  Usage,
} from "../../protocol/types";
import { requireNpuRuntime } from "../../hardware/npuRuntimes";
import { delay } from "../../util/delay";
import { fimPrompt, noFimTokens, ONE_AT_A_TIME, textOnly } from "../defaults";
import { refuseConstrainedOutput } from "../tools/constraints";
import { messagesWithToolsInText } from "../tools/hermesFormat";
import { HfTokenizer } from "../onnx/hfTokenizer";
import { TimeBudget } from "../timeBudget";
import { finishReason, readChunk, samplingFields } from "./openAiWire";
import type { RuntimeDescriptor } from "./runtimeDescriptors";
import { RuntimeProcess } from "./runtimeProcess";
import { HttpStatusError, postEvents, SilentServerError, StreamCutError } from "./sseClient";

export interface NpuBackendOptions {
  /** Where the runtime is looked for, and the environment it runs in. */
  env?: NodeJS.ProcessEnv;
  /** How long a starting runtime may take to answer: NPU loads take tens of seconds. */
  readyTimeoutMs?: number;
  /** How long a request may go without a byte from the runtime before it counts as stuck. */
  idleTimeoutMs?: number;
}

const DEFAULT_READY_TIMEOUT_MS = 180_000;
/** Generous: a long prompt is evaluated before the first byte comes. */
const DEFAULT_IDLE_TIMEOUT_MS = 300_000;
/** After a broken connection, how long the runtime's exit may take to be seen. */
const EXIT_WAIT_MS = 2_000;

interface Loaded {
  spec: LoadSpec;
  info: ModelInfo;
  /** The runtime's executable. */
  command: string;
  tokenizer: { raw: Tokenizer; hf: HfTokenizer } | undefined;
}

type Route = "/v1/chat/completions" | "/v1/completions";

export class NpuRuntimeBackend implements Backend {
  private loaded: Loaded | undefined;
  private process: RuntimeProcess | undefined;
  private starting: Promise<RuntimeProcess> | undefined;

  constructor(
    private readonly runtime: RuntimeDescriptor,
    private readonly options: NpuBackendOptions = {},
  ) {}

  async load(spec: LoadSpec): Promise<ModelInfo> {
    await this.unload();
    const model = await this.runtime.inspect(spec);
    const command = await requireNpuRuntime(this.runtime.runtime, this.env);
    const info: ModelInfo = {
      id: spec.id,
      path: spec.path,
      task: "generate",
      backend: this.runtime.backend,
      architecture: model.architecture,
      contextSize: model.contextSize,
      trainedContextSize: model.trainedContextSize,
      gpu: false,
      runtime: this.runtime.runtime,
      // The runtime renders chats with the model's own template.
      chatTemplate: "model",
      slots: ONE_AT_A_TIME,
    };
    const tokenizer = model.tokenizer && { raw: model.tokenizer.tokenizer, hf: new HfTokenizer(model.tokenizer.tokenizer, model.tokenizer.config) };
    this.loaded = { spec, info, command, tokenizer };
    try {
      await this.running();
    } catch (err) {
      this.loaded = undefined;
      throw err;
    }
    return { ...info };
  }

  async unload(): Promise<void> {
    const runtime = this.process;
    this.loaded = undefined;
    this.process = undefined;
    await runtime?.stop();
  }

  info(): ModelInfo | undefined {
    return this.loaded?.info;
  }

  async tokenize(input: TokenizeInput): Promise<number[]> {
    const loaded = this.require();
    if (!loaded.tokenizer) {
      throw new EngineError("invalid_request", `${loaded.spec.path} has no tokenizer.json, and ${this.runtime.runtime} does not tokenize for others`);
    }
    if (!("text" in input)) {
      throw new EngineError("invalid_request", `${this.runtime.runtime} renders chats with its own template, so only text can be counted here`);
    }
    return loaded.tokenizer.hf.encodeText(input.text);
  }

  chat(messages: ChatMessage[], options: GenerationOptions, signal: AbortSignal): AsyncIterable<GenerationEvent> {
    refuseConstrainedOutput(options, this.runtime.runtime);
    // Tools offered with "auto" are not passed on (the runtime answers in text, which clients
    // accept); earlier calls and results go in as text.
    const plain = messagesWithToolsInText(messages, []);
    return this.generate("/v1/chat/completions", { messages: plain }, options, signal);
  }

  complete(prompt: string, options: GenerationOptions, signal: AbortSignal): AsyncIterable<GenerationEvent> {
    return this.generate("/v1/completions", { prompt }, options, signal);
  }

  async embed(): Promise<Embeddings> {
    throw textOnly(this.runtime.runtime);
  }

  async rank(): Promise<Ranking> {
    throw textOnly(this.runtime.runtime);
  }

  infill(prefix: string, suffix: string, options: GenerationOptions, signal: AbortSignal): AsyncIterable<GenerationEvent> {
    const tokenizer = this.require().tokenizer;
    const fim = tokenizer?.hf.fim;
    if (!tokenizer || !fim) throw noFimTokens();
    // The runtime takes text: the FIM markers go in spelled out, and it tokenizes them back.
    const spell = (id: number) => tokenizer.raw.id_to_token(id)!;
    const prompt = fimPrompt({ ...fim, prefix: spell(fim.prefix), suffix: spell(fim.suffix), middle: spell(fim.middle) }, [prefix], [suffix], options.middle ? [options.middle] : []).join("");
    return this.generate("/v1/completions", { prompt }, options, signal);
  }

  private get env(): NodeJS.ProcessEnv {
    return this.options.env ?? process.env;
  }

  private async *generate(route: Route, input: object, options: GenerationOptions, signal: AbortSignal): AsyncIterable<GenerationEvent> {
    const loaded = this.require();
    signal.throwIfAborted();
    const runtime = await this.running();
    const model = this.runtime.requestModel(loaded.spec.path);
    const body = {
      ...(model !== undefined && { model }),
      ...input,
      ...samplingFields(options),
      stream: true,
      stream_options: { include_usage: true },
    };
    let deltas = 0;
    let reported: string | undefined;
    let usage: ReturnType<typeof readChunk>["usage"];
    // The runtime knows no time budget: the stream is closed when it is spent.
    const budget = new TimeBudget(options.maxPredictMs);
    try {
      for await (const json of postEvents(runtime.url + route, body, AbortSignal.any([signal, budget.signal]), this.options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS)) {
        const chunk = readChunk(json);
        if (chunk.error !== undefined) throw new EngineError("internal", `${this.runtime.runtime} failed: ${chunk.error}`);
        reported = chunk.finishReason ?? reported;
        usage = chunk.usage ?? usage;
        if (chunk.text) {
          deltas++;
          budget.tokenGenerated();
          yield { type: "text", text: chunk.text, tokens: 1 };
        }
      }
    } catch (err) {
      if (budget.signal.aborted && !signal.aborted) reported = "length";
      // A stream cut after its last choice finished lost nothing.
      else if (!(err instanceof StreamCutError && reported !== undefined)) throw await this.failure(runtime, err, signal);
    } finally {
      budget.dispose();
    }
    const completionTokens = usage?.completionTokens ?? deltas;
    // Tokens the runtime generated without sending text (a held-back stop sequence) still count.
    if (completionTokens > deltas) yield { type: "text", text: "", tokens: completionTokens - deltas };
    const total: Usage = { promptTokens: usage?.promptTokens ?? 0, cachedTokens: usage?.cachedTokens ?? 0, completionTokens };
    yield { type: "done", finishReason: finishReason(reported, completionTokens, options.maxTokens), usage: total };
  }

  /** What a failed request reports: a refusal, a cancellation, or a runtime that died. */
  private async failure(runtime: RuntimeProcess, err: unknown, signal: AbortSignal): Promise<unknown> {
    const name = this.runtime.runtime;
    if (signal.aborted || err instanceof EngineError) return err;
    if (err instanceof HttpStatusError) {
      return err.status < 500
        ? new EngineError("invalid_request", `${name} refused the request: ${err.message}`)
        : new EngineError("internal", `${name} failed (HTTP ${err.status}): ${err.message}`);
    }
    if (err instanceof SilentServerError) {
      await runtime.stop();
      return new EngineError("runtime_crashed", `${runtime.name} stopped answering (${err.message}); it was stopped, and the next request starts it again`);
    }
    if (err instanceof SyntaxError || !(err instanceof TypeError || err instanceof StreamCutError)) {
      return new EngineError("internal", `${name}: ${(err as Error).message}`);
    }
    // The connection broke: the runtime died, or is in no state to be trusted.
    const exited = await Promise.race([runtime.exited.then(() => true), delay(EXIT_WAIT_MS).then(() => false)]);
    if (exited) {
      return new EngineError("runtime_crashed", `${runtime.name} (pid ${runtime.pid}) ${runtime.describeExit("during the request")}\nThe next request starts it again.`);
    }
    await runtime.stop();
    return new EngineError(
      "runtime_crashed",
      `the connection to ${runtime.name} broke (${describeNetworkError(err)}); it was stopped, and the next request starts it again`,
    );
  }

  /** The runtime, started (again) where it is not running: after a crash, the next request recovers here. */
  private running(): Promise<RuntimeProcess> {
    if (this.process && !this.process.exit) return Promise.resolve(this.process);
    this.starting ??= this.start().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async start(): Promise<RuntimeProcess> {
    const loaded = this.require();
    const name = this.runtime.runtime;
    const args = (port: number) => this.runtime.args(loaded.spec.path, port, loaded.info.contextSize);
    const runtime = await RuntimeProcess.start(`AMD's NPU runtime ${name}`, loaded.command, args, this.env);
    // Set before it is ready, so that an unload meanwhile stops it.
    this.process = runtime;
    await runtime.waitReady(this.runtime.readyPath, this.options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
    loaded.info.runtime = `${name} (${loaded.command}) pid ${runtime.pid} on port ${runtime.port}`;
    return runtime;
  }

  private require(): Loaded {
    if (!this.loaded) throw new EngineError("no_model", "no model is loaded");
    return this.loaded;
  }
}

/** fetch says "fetch failed" or "terminated"; the cause says what happened on the socket. */
function describeNetworkError(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return [(err as Error).message, cause?.code ?? cause?.message].filter(Boolean).join(": ");
}
