// ONNX Runtime GenAI model folders on onnxruntime-node. Runs inside the engine worker: the
// prompt in as few runs as memory allows, then one token a step, sampling and stop sequences
// in TypeScript.
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
} from "../../protocol/types";
import { eosTokenIds, type GenaiConfig } from "../../models/onnx/genaiConfig";
import { inspectGenaiFolder, type GenaiFolder } from "../../models/onnx/genaiFolder";
import { ChatTemplate } from "../chatTemplate";
import { refuseConstrainedOutput } from "../tools/constraints";
import { checkPrompt, DEFAULT_MAX_CONTEXT, FILE_SEPARATOR, fimPrompt, noFimTokens, ONE_AT_A_TIME, PENALTY_WINDOW, promptTooLong, textOnly, withExtraContext } from "../defaults";
import { generationEvents } from "../generationLoop";
import { DecoderSession } from "./decoderSession";
import { HfTokenizer } from "./hfTokenizer";
import { Sampler, type SamplingSettings } from "./sampler";

const PROMPT_CHUNK = 512;
/** Used when a request asks to sample from a folder whose own search settings are greedy. */
const SAMPLING_DEFAULTS = { topK: 40, topP: 0.95 } as const;

interface Loaded {
  info: ModelInfo;
  folder: GenaiFolder;
  session: DecoderSession;
  tokenizer: HfTokenizer;
  template: ChatTemplate;
  eos: Set<number>;
}

export class OnnxBackend implements Backend {
  private loaded: Loaded | undefined;

  async load(spec: LoadSpec): Promise<ModelInfo> {
    await this.unload();
    // Checked again here: the worker trusts no file it has not read itself.
    const folder = await inspectGenaiFolder(spec.path).catch((err: Error) => {
      throw err instanceof EngineError ? err : new EngineError("invalid_model", err.message);
    });
    const tokenizer = new HfTokenizer(folder.tokenizer, folder.tokenizerConfig);
    const template = new ChatTemplate(folder.chatTemplate, { bosToken: tokenizer.bosToken, eosToken: tokenizer.eosToken });
    const session = await DecoderSession.create(folder, spec.gpu ?? "auto");
    const { model, search } = folder.config;
    const contextSize = Math.min(model.context_length, search.max_length ?? Infinity, spec.contextSize ?? DEFAULT_MAX_CONTEXT);
    const info: ModelInfo = {
      id: spec.id,
      path: spec.path,
      task: "generate",
      backend: "onnx",
      architecture: model.type,
      contextSize,
      trainedContextSize: model.context_length,
      gpu: session.provider === "cpu" ? false : session.provider,
      runtime: `onnxruntime ${session.provider} execution provider, KV cache ${session.cache.shared ? "in shared buffers" : "copied each step"}`,
      chatTemplate: template.source,
      slots: ONE_AT_A_TIME,
    };
    this.loaded = { info, folder, session, tokenizer, template, eos: new Set(eosTokenIds(folder.config)) };
    return info;
  }

  async unload(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = undefined;
    await loaded?.session.release();
  }

  info(): ModelInfo | undefined {
    return this.loaded?.info;
  }

  async tokenize(input: TokenizeInput): Promise<number[]> {
    const { tokenizer, template } = this.require();
    return "text" in input ? tokenizer.encodeText(input.text) : tokenizer.encodeParts(template.render(input.messages, { tools: input.tools }));
  }

  chat(messages: ChatMessage[], options: GenerationOptions, signal: AbortSignal): AsyncIterable<GenerationEvent> {
    const loaded = this.require();
    refuseConstrainedOutput(options, "onnxruntime");
    return this.generate(loaded, loaded.tokenizer.encodeParts(loaded.template.render(messages, options)), options, signal);
  }

  complete(prompt: string, options: GenerationOptions, signal: AbortSignal): AsyncIterable<GenerationEvent> {
    const loaded = this.require();
    return this.generate(loaded, loaded.tokenizer.encodePrompt(prompt), options, signal);
  }

  async embed(): Promise<Embeddings> {
    throw textOnly("onnxruntime");
  }

  async rank(): Promise<Ranking> {
    throw textOnly("onnxruntime");
  }

  infill(prefix: string, suffix: string, options: GenerationOptions, signal: AbortSignal): AsyncIterable<GenerationEvent> {
    const loaded = this.require();
    const { tokenizer } = loaded;
    if (!tokenizer.fim) throw noFimTokens();
    // Code is text: FIM markers typed in it must not become special tokens.
    const encode = (text: string) => tokenizer.encodeText(text);
    const tokens = withExtraContext(fimPrompt(tokenizer.fim, encode(prefix), encode(suffix), options.middle ? encode(options.middle) : []), options.inputExtra, encode, tokenizer.tokenId(FILE_SEPARATOR));
    return this.generate(loaded, tokens, options, signal);
  }

  private async *generate(
    loaded: Loaded,
    prompt: number[],
    options: GenerationOptions,
    signal: AbortSignal,
  ): AsyncIterable<GenerationEvent> {
    const { info, folder, session, tokenizer, eos } = loaded;
    checkPrompt(prompt.length, info.contextSize);
    if (folder.maxPromptLength !== undefined && prompt.length > folder.maxPromptLength) {
      throw promptTooLong(prompt.length, folder.maxPromptLength, "prompt limit (rai_config.json)");
    }
    signal.throwIfAborted();

    const sampler = new Sampler(samplingSettings(options, folder.config));
    // Cached keys and values of a shared start are reused; the last prompt token always runs.
    const cachedTokens = Math.min(session.cache.commonPrefix(prompt), prompt.length - 1);
    session.cache.truncate(cachedTokens);
    let logits: Float32Array | undefined;
    // A prompt runs whole, up to PROMPT_CHUNK tokens a run: decoders return logits for every
    // position (vocabulary × tokens floats: 1.2 GB for 2048 tokens of Qwen), and a cancel is
    // seen between runs.
    for (let at = cachedTokens; at < prompt.length; at += PROMPT_CHUNK) {
      signal.throwIfAborted();
      logits = await session.run(prompt.slice(at, at + PROMPT_CHUNK), info.contextSize);
    }
    const history = [...prompt];
    async function* tokens(): AsyncGenerator<number> {
      for (;;) {
        const token = sampler.sample(logits!, history);
        yield token;
        // Asked for only when the answer goes on.
        history.push(token);
        logits = await session.run([token], info.contextSize);
      }
    }
    yield* generationEvents(tokens(), {
      decode: (ids) => tokenizer.decode(ids),
      isEnd: (token) => eos.has(token),
      maxTokens: Math.min(options.maxTokens ?? Infinity, info.contextSize - prompt.length),
      stop: options.stop ?? [],
      maxPredictMs: options.maxPredictMs,
      usage: { promptTokens: prompt.length, cachedTokens },
      signal,
    });
  }

  private require(): Loaded {
    if (!this.loaded) throw new EngineError("no_model", "no model is loaded");
    return this.loaded;
  }
}

/** The request's settings; where it says nothing, the folder's own search settings (greedy unless do_sample). */
function samplingSettings(o: GenerationOptions, config: GenaiConfig): SamplingSettings {
  const search = config.search;
  const own = search.do_sample;
  return {
    temperature: o.temperature ?? (own ? search.temperature : 0),
    topK: o.topK ?? (own ? search.top_k : SAMPLING_DEFAULTS.topK),
    topP: o.topP ?? (own ? search.top_p : SAMPLING_DEFAULTS.topP),
    minP: 0,
    repeatPenalty: o.repeatPenalty ?? search.repetition_penalty,
    presencePenalty: o.presencePenalty ?? 0,
    frequencyPenalty: o.frequencyPenalty ?? 0,
    penaltyWindow: PENALTY_WINDOW,
    seed: o.seed,
  };
}
