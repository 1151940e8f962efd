// GGUF models on llama.cpp through node-llama-cpp. Runs inside the engine worker.
import type {
  Llama,
  LlamaContext,
  LlamaContextSequence,
  LlamaGrammar,
  LlamaGrammarEvaluationState,
  LlamaModel,
  SequenceEvaluateOptions,
  Token,
} from "node-llama-cpp";
import { EngineError } from "../../protocol/errors";
import type {
  Backend,
  ChatMessage,
  EmbedInput,
  EmbedOptions,
  Embeddings,
  GenerationEvent,
  GenerationOptions,
  LoadSpec,
  ModelInfo,
  Ranking,
  TokenizeInput,
} from "../../protocol/types";
import { ChatTemplate, type PromptPart } from "../chatTemplate";
import { checkPrompt, DEFAULT_MAX_CONTEXT, noFimTokens, PENALTY_WINDOW } from "../defaults";
import { generationEvents } from "../generationLoop";
import { ContextGate, type LaneKind } from "./contextGate";
import { SequencePool } from "./sequencePool";
import { reuseCache } from "./cacheReuse";
import { FimFormat } from "./fimFormat";
import { forcedToolChoice } from "../tools/constraints";
import { callSchema, TOOL_CALL_CLOSE, TOOL_CALL_OPEN } from "../tools/hermesFormat";
import { jsonSchemaGrammar } from "./jsonGrammar";
import { openLlama } from "./llamaRuntime";
import { LlamaEncoder, modelTask } from "./llamaEncoder";
import { loadNodeLlamaCpp } from "../../natives/nodeLlamaCpp";

/** Sampling defaults of llama.cpp's own server, used where a request says nothing. */
const DEFAULTS = { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05 } as const;

/**
 * Generations at once when the load does not say (llama-server's default too): several clients
 * share the model, and a batch of four decodes costs little more than one on a CPU.
 */
export const DEFAULT_PARALLEL = 4;
/** Sequences kept for fill-in-the-middle, one per editor window typing at the same time. */
export const FIM_SEQUENCES = 2;
/** node-llama-cpp's evaluation priorities: a completion's tokens go into a batch first. */
const PRIORITY = { fim: 5, generation: 3 } as const;

interface Loaded {
  info: ModelInfo;
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  /** Held closed while a sequence's cache is edited: see ContextGate. */
  gate: ContextGate;
  /** Chats and raw completions, evaluated together in shared batches. */
  generation: SequencePool;
  /**
   * Fill-in-the-middle, where the model has FIM tokens, has sequences of its own, so that a
   * completion starts at once whatever else runs, and an editor's consecutive requests reuse
   * each other's KV cache however many chats run in between.
   */
  fim: { pool: SequencePool; format: FimFormat } | undefined;
  template: ChatTemplate;
}

export class LlamaCppBackend implements Backend {
  private llama: { gpu: LoadSpec["gpu"]; instance: Llama } | undefined;
  private loaded: Loaded | undefined;
  /** An embedding or reranking model, loaded instead of a generating one. */
  private encoder: { info: ModelInfo; model: LlamaModel; encoder: LlamaEncoder } | undefined;

  async load(spec: LoadSpec): Promise<ModelInfo> {
    await this.unload();
    const llama = await this.runtime(spec.gpu ?? "auto");
    const model = await this.loadModel(llama, spec.path);
    const task = modelTask(model);
    if (task !== "generate") return this.loadEncoder(spec, llama, model, task);
    const fimFormat = FimFormat.of(model);
    const parallel = spec.parallel ?? DEFAULT_PARALLEL;
    const fimSequences = fimFormat ? FIM_SEQUENCES : 0;
    try {
      const gate = new ContextGate();
      const context = await model.createContext({
        contextSize: spec.contextSize ?? { max: DEFAULT_MAX_CONTEXT },
        // llama.cpp enables flash attention where the device supports it (CPU included).
        flashAttention: "auto",
        threads: llama.cpuMathCores,
        // Each sequence has KV cells for the whole context.
        sequences: parallel + fimSequences,
        // The gate decides when a batch goes and in what order its tokens are (see ContextGate).
        batching: gate.batching,
      });
      // node-llama-cpp numbers a context's sequences in the order they are taken.
      let taken = 0;
      const lanes = (count: number): SequencePool => new SequencePool(Array.from({ length: count }, () => ({ sequence: context.getSequence(), order: taken++ })));
      const metadata = model.fileInfo.metadata;
      const template = new ChatTemplate(metadata.tokenizer?.chat_template, {
        bosToken: tokenText(model, model.tokens.bos),
        eosToken: tokenText(model, model.tokens.eos),
      });
      const info: ModelInfo = {
        id: spec.id,
        task,
        path: spec.path,
        backend: "llama.cpp",
        architecture: String(metadata.general.architecture),
        contextSize: context.contextSize,
        trainedContextSize: model.trainContextSize,
        gpu: model.gpuLayers > 0 ? llama.gpu : false,
        runtime: `${context.idealThreads} threads, flash attention ${flashAttentionText(context.flashAttention)}`,
        chatTemplate: template.source,
        slots: { generation: parallel, fim: fimSequences },
      };
      this.loaded = { info, llama, model, context, gate, generation: lanes(parallel), fim: fimFormat && { pool: lanes(fimSequences), format: fimFormat }, template };
      return info;
    } catch (err) {
      await model.dispose();
      throw err;
    }
  }

  private async loadEncoder(spec: LoadSpec, llama: Llama, model: LlamaModel, task: "embed" | "rank"): Promise<ModelInfo> {
    try {
      const encoder = await LlamaEncoder.load(model, task, { contextSize: spec.contextSize, threads: llama.cpuMathCores });
      const info: ModelInfo = {
        id: spec.id,
        task,
        path: spec.path,
        backend: "llama.cpp",
        architecture: String(model.fileInfo.metadata.general.architecture),
        contextSize: encoder.contextSize,
        trainedContextSize: model.trainContextSize,
        gpu: model.gpuLayers > 0 ? llama.gpu : false,
        runtime: `${task === "embed" ? "embeddings" : "reranking"}, ${llama.cpuMathCores} threads`,
        chatTemplate: "model",
        // One call at a time: each evaluates its texts whole.
        slots: { generation: 1, fim: 0 },
      };
      this.encoder = { info, model, encoder };
      return info;
    } catch (err) {
      await model.dispose();
      throw new EngineError("invalid_model", `llama.cpp could not run ${spec.path} as ${task === "embed" ? "an embedding" : "a reranking"} model: ${(err as Error).message}`);
    }
  }

  async embed(inputs: EmbedInput[], options: EmbedOptions): Promise<Embeddings> {
    return this.requireEncoder("embed").embed(inputs, options);
  }

  async rank(query: string, documents: string[], options: EmbedOptions): Promise<Ranking> {
    return this.requireEncoder("rank").rank(query, documents, options);
  }

  private requireEncoder(task: "embed" | "rank"): LlamaEncoder {
    if (this.encoder) return this.encoder.encoder;
    this.require();
    throw new EngineError("invalid_request", `${this.loaded!.info.id} generates text; ${task === "embed" ? "embeddings need an embedding model (nomic-embed-text, bge, Qwen3-Embedding)" : "reranking needs a reranking model (bge-reranker)"}`);
  }

  async unload(): Promise<void> {
    const encoder = this.encoder;
    this.encoder = undefined;
    if (encoder) {
      await encoder.encoder.dispose();
      await encoder.model.dispose();
    }
    const loaded = this.loaded;
    this.loaded = undefined;
    if (!loaded) return;
    loaded.generation.dispose();
    loaded.fim?.pool.dispose();
    await loaded.context.dispose();
    await loaded.model.dispose();
  }

  info(): ModelInfo | undefined {
    return this.loaded?.info ?? this.encoder?.info;
  }

  async tokenize(input: TokenizeInput): Promise<number[]> {
    if (this.encoder && "text" in input) return this.encoder.model.tokenize(input.text, false);
    const loaded = this.require();
    return "text" in input ? loaded.model.tokenize(input.text, false) : promptTokens(loaded.model, loaded.template.render(input.messages, { tools: input.tools }));
  }

  chat(messages: ChatMessage[], options: GenerationOptions, signal: AbortSignal): AsyncIterable<GenerationEvent> {
    const loaded = this.require();
    return this.constrainedChat(loaded, loaded.template.render(messages, options), options, signal);
  }

  /**
   * JSON output and forced tool calls are constrained by a grammar, so even a weak model answers
   * in the right shape. A forced call starts already inside its <tool_call> tag: the model writes
   * only the JSON, and the tags are added around it.
   */
  private async *constrainedChat(loaded: Loaded, prompt: PromptPart[], options: GenerationOptions, signal: AbortSignal): AsyncIterable<GenerationEvent> {
    const forced = forcedToolChoice(options);
    const schema = forced ? callSchema(options.tools!, forced) : options.responseFormat?.type === "json_schema" ? options.responseFormat.schema : undefined;
    const grammar = schema ? await jsonSchemaGrammar(loaded.llama, schema) : options.responseFormat ? await jsonSchemaGrammar(loaded.llama, { type: "object" }) : undefined;
    if (!forced) return yield* this.prompt(loaded, prompt, options, signal, grammar);
    const opening = `${TOOL_CALL_OPEN}\n`;
    yield { type: "text", text: opening, tokens: 0 };
    for await (const event of this.prompt(loaded, [...prompt, { text: opening, special: true }], options, signal, grammar)) {
      if (event.type === "done") yield { type: "text", text: `\n${TOOL_CALL_CLOSE}`, tokens: 0 };
      yield event;
    }
  }

  /** A raw prompt is the client's own template: special tokens spelled in it are honoured. */
  complete(prompt: string, options: GenerationOptions, signal: AbortSignal): AsyncIterable<GenerationEvent> {
    return this.prompt(this.require(), [{ text: prompt, special: true }], options, signal);
  }

  infill(prefix: string, suffix: string, options: GenerationOptions, signal: AbortSignal): AsyncIterable<GenerationEvent> {
    const loaded = this.require();
    if (!loaded.fim) throw noFimTokens();
    return this.generate(loaded, loaded.fim.pool, loaded.fim.format.prompt(prefix, suffix, options.inputExtra, options.middle), options, signal);
  }

  private prompt(loaded: Loaded, parts: PromptPart[], options: GenerationOptions, signal: AbortSignal, grammar?: LlamaGrammar): AsyncIterable<GenerationEvent> {
    return this.generate(loaded, loaded.generation, promptTokens(loaded.model, parts), options, signal, grammar);
  }

  /** Runs one generation from prompt tokens on a sequence of `pool`. */
  private async *generate(
    loaded: Loaded,
    pool: SequencePool,
    tokens: Token[],
    options: GenerationOptions,
    signal: AbortSignal,
    grammar?: LlamaGrammar,
  ): AsyncIterable<GenerationEvent> {
    const { model, context, gate } = loaded;
    // node-llama-cpp's tokenizer leaves BOS out; add it where the model wants one, and never two.
    const bos = model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
    const input = bos == null || tokens[0] === bos ? tokens : [bos, ...tokens];
    checkPrompt(input.length, context.contextSize);
    const { sequence, order } = pool.acquire(input, options.client);
    const kind: LaneKind = pool === loaded.fim?.pool ? "fim" : "generation";
    // The typing user first: other generations wait between tokens while a completion runs.
    const endPriority = kind === "fim" ? gate.prioritize() : undefined;
    try {
      // The KV cache keeps the longest common start with the sequence's last request, and for a
      // completion also the runs it holds further on; the last prompt token always runs, for the
      // logits of the first answer token.
      const cachedTokens = await reuseCache(sequence, input.slice(0, -1), gate, kind === "fim");
      // A grammar's state follows one answer.
      const grammarState = grammar && new (await loadNodeLlamaCpp()).LlamaGrammarEvaluationState({ model, grammar });
      const evaluate = (recent: () => Token[]) => evaluateOptions(options, kind, grammarState, recent);
      yield* generationEvents(sequenceTokens(sequence, input.slice(cachedTokens), evaluate, { gate, kind, order, signal }), {
        decode: (ids) => model.detokenize(ids),
        isEnd: (token) => model.isEogToken(token),
        // No context shift: the answer ends where the context does.
        maxTokens: Math.min(options.maxTokens ?? Infinity, context.contextSize - input.length),
        stop: [...(options.stop ?? []), ...(grammar?.stopGenerationTriggers.map(String) ?? [])],
        maxPredictMs: options.maxPredictMs,
        trimTrailingWhitespace: grammar?.trimWhitespaceSuffix,
        usage: { promptTokens: input.length, cachedTokens },
        signal,
      });
    } finally {
      endPriority?.();
      // Lent again only once node-llama-cpp is done with it.
      pool.release(sequence);
    }
  }

  private require(): Loaded {
    if (this.encoder) {
      throw new EngineError("invalid_request", `${this.encoder.info.id} is ${this.encoder.info.task === "embed" ? "an embedding model (/v1/embeddings)" : "a reranking model (/v1/rerank)"}: it does not generate text`);
    }
    if (!this.loaded) throw new EngineError("no_model", "no model is loaded");
    return this.loaded;
  }

  private async runtime(gpu: "auto" | false): Promise<Llama> {
    if (this.llama?.gpu === gpu) return this.llama.instance;
    await this.llama?.instance.dispose();
    this.llama = undefined;
    let instance: Llama;
    try {
      instance = await openLlama(gpu);
    } catch (gpuError) {
      if (gpu === false) throw runtimeUnavailable(gpuError);
      try {
        instance = await openLlama(false);
      } catch (cpuError) {
        throw runtimeUnavailable(cpuError);
      }
    }
    this.llama = { gpu, instance };
    return instance;
  }

  /** Offloads what fits to the GPU; on a GPU failure loads again on the CPU. */
  private async loadModel(llama: Llama, modelPath: string): Promise<LlamaModel> {
    try {
      return await llama.loadModel({ modelPath, gpuLayers: "auto" });
    } catch (err) {
      if (llama.gpu !== false) {
        try {
          return await llama.loadModel({ modelPath, gpuLayers: 0 });
        } catch {
          // Report the first failure: the GPU attempt says more about the file.
        }
      }
      throw new EngineError("invalid_model", `llama.cpp could not load ${modelPath}: ${(err as Error).message}`);
    }
  }
}

function runtimeUnavailable(err: unknown): EngineError {
  return new EngineError(
    "runtime_unavailable",
    `llama.cpp has no prebuilt binary that runs on this machine (${process.platform}-${process.arch}): ${(err as Error).message}`,
  );
}

function tokenText(model: LlamaModel, token: Token | null): string {
  return token == null ? "" : model.detokenize([token], true);
}

function flashAttentionText(setting: boolean | "auto"): string {
  // "auto" leaves it to llama.cpp, which enables it where the device supports it.
  return setting === "auto" ? "auto" : setting ? "on" : "off";
}

/**
 * The sequence's next tokens, evaluated in the context's shared batches. The prompt goes in first
 * with no output, then its last token alone, which gives the first answer token: so every token
 * with an output is one the gate has ordered (see ContextGate). Each token is asked for only when
 * the answer goes on, and only once the gate lets it pass.
 */
async function* sequenceTokens(
  sequence: LlamaContextSequence,
  prompt: Token[],
  options: (recent: () => Token[]) => SequenceEvaluateOptions,
  turn: { gate: ContextGate; kind: LaneKind; order: number; signal: AbortSignal },
): AsyncGenerator<Token> {
  const { gate, kind, order, signal } = turn;
  const generated: Token[] = [];
  if (prompt.length > 1) {
    await gate.passPrompt(kind, order, signal);
    await sequence.evaluateWithoutGeneratingNewTokens(prompt.slice(0, -1), { evaluationPriority: PRIORITY[kind] });
  }
  const endRun = gate.run(kind);
  // The penalties look at the answer's own recent tokens.
  const tokens = sequence.evaluate(prompt.slice(-1), options(() => generated.slice(-PENALTY_WINDOW)));
  try {
    for (;;) {
      await gate.pass(kind, order, signal);
      const next = await tokens.next().finally(() => gate.settled(order));
      if (next.done) return;
      generated.push(next.value);
      yield next.value;
    }
  } finally {
    endRun();
    await tokens.return();
  }
}

function evaluateOptions(
  o: GenerationOptions,
  kind: LaneKind,
  grammarEvaluationState: LlamaGrammarEvaluationState | undefined,
  recent: () => Token[],
): SequenceEvaluateOptions {
  const penalised =
    (o.repeatPenalty !== undefined && o.repeatPenalty !== 1) || !!o.presencePenalty || !!o.frequencyPenalty;
  const temperature = o.temperature ?? DEFAULTS.temperature;
  return {
    temperature,
    // Greedy decoding ignores the truncation samplers; leave them unset so it stays exact.
    ...(temperature > 0 && {
      topK: o.topK ?? DEFAULTS.topK,
      topP: o.topP ?? DEFAULTS.topP,
      minP: DEFAULTS.minP,
      seed: o.seed,
    }),
    grammarEvaluationState,
    repeatPenalty: penalised
      ? {
          punishTokens: recent,
          maxPunishTokens: PENALTY_WINDOW,
          penalty: o.repeatPenalty,
          presencePenalty: o.presencePenalty,
          frequencyPenalty: o.frequencyPenalty,
        }
      : undefined,
    evaluationPriority: PRIORITY[kind],
    // The loop ends the answer at an end-of-generation token, and so sees why it ended.
    yieldEogToken: true,
  };
}

/**
 * Template text with its special tokens, content as text only. Content after other text keeps no
 * space prefix of its own (SentencePiece adds one at the start of each tokenization).
 */
function promptTokens(model: LlamaModel, parts: PromptPart[]): Token[] {
  return parts.flatMap((part, i) => (part.special ? model.tokenize(part.text, true) : model.tokenize(part.text, false, i > 0 ? "trimLeadingSpace" : undefined)));
}
