// Types shared by the backends, the worker protocol, the engine host and the server.
// Plain data only: everything here crosses the worker boundary by structured clone.

export type Role = "system" | "user" | "assistant" | "tool";

export interface ChatMessage {
  role: Role;
  content: string;
  /** An assistant turn that called tools. */
  toolCalls?: ToolCall[];
  /** A tool turn: the call it answers. */
  toolCallId?: string;
}

/** A call the model made: `arguments` is JSON text, as OpenAI sends it. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** A function the model may call; `parameters` is a JSON Schema. */
export interface ToolSpec {
  name: string;
  description?: string;
  parameters: Record<string, unknown>;
}

/** "auto": the model decides; "required": it must call one; {name}: it must call that one; "none": no tools. */
export type ToolChoice = "auto" | "none" | "required" | { name: string };

/** Structured output: any JSON object, or JSON matching a schema. */
export type ResponseFormat = { type: "json_object" } | { type: "json_schema"; name: string; schema: Record<string, unknown> };

/** Sampling and stopping options, already validated and in the engine's own names. */
export interface GenerationOptions {
  /** Upper bound on generated tokens; the backend also stops at the end of the context. */
  maxTokens?: number;
  /** 0 means greedy. */
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  /** Multiplicative penalty on recent tokens (llama.cpp's repeat_penalty); 1 disables it. */
  repeatPenalty?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  /** Text stop sequences; the returned text ends before the first one found. */
  stop?: string[];
  /** Chat only: functions the model may call, shown to it through its chat template. */
  tools?: ToolSpec[];
  toolChoice?: ToolChoice;
  /** Chat only: output constrained to JSON (llama.cpp, by grammar). */
  responseFormat?: ResponseFormat;
  /**
   * Time budget in ms, counted from the first generated token; when it runs out the answer ends
   * with what was generated (finish "length"). llama.cpp's t_max_predict_ms, without its wait for a newline.
   */
  maxPredictMs?: number;
  /** Fill-in-the-middle only: chunks of other files placed before the prompt (llama.cpp's input_extra). */
  inputExtra?: ExtraChunk[];
  /** Fill-in-the-middle: the start of the answer already typed, after the model's middle marker (llama.cpp's /infill `prompt`). */
  middle?: string;
  /**
   * Who sends it (an editor window, from the X-Squeeze-Client header): each client's completions
   * keep a KV sequence of their own, and a client's newer completion cancels its older one.
   */
  client?: string;
}

/** Part of another file, given to a fill-in-the-middle prompt as context. */
export interface ExtraChunk {
  filename: string;
  text: string;
}

export type GenerationRequest =
  | { kind: "chat"; messages: ChatMessage[]; options: GenerationOptions }
  | { kind: "completion"; prompt: string; options: GenerationOptions }
  | { kind: "infill"; prefix: string; suffix: string; options: GenerationOptions };

export type FinishReason = "stop" | "length";

export interface Usage {
  promptTokens: number;
  /** Prompt tokens whose KV cache was reused from the previous request (not evaluated again). */
  cachedTokens: number;
  completionTokens: number;
}

/** What a generation stream yields: text deltas, then exactly one `done`. */
export type GenerationEvent =
  /** `tokens` is how many generated tokens this text stands for (0 when text was held back earlier). */
  | { type: "text"; text: string; tokens: number }
  /** `stopSequence`: the stop sequence (of the request's, or a grammar's) that ended the answer, where one did. */
  | { type: "done"; finishReason: FinishReason; usage: Usage; stopSequence?: string };

/**
 * llama.cpp runs GGUF files; onnx runs ONNX Runtime GenAI model folders on onnxruntime-node;
 * ryzenai and flm run models on AMD's NPU through AMD's runtime servers (ryzenai-server, FastFlowLM),
 * which Squeeze starts as child processes.
 */
export const BACKENDS = ["llama.cpp", "onnx", "ryzenai", "flm"] as const;
export type BackendName = (typeof BACKENDS)[number];

/** The backends that run on AMD's NPU, which holds one model at a time. */
export function isNpuBackend(backend: string): boolean {
  return backend === "ryzenai" || backend === "flm";
}

/** How to load a model; validated by the host before it reaches a native runtime. */
export interface LoadSpec {
  /** Public id under which the server lists the model. */
  id: string;
  /** The GGUF file or the folder holding genai_config.json; for flm, the FastFlowLM model tag ("llama3.2:1b"). */
  path: string;
  backend: BackendName;
  /** Context size in tokens; undefined lets the backend choose from the model and memory. */
  contextSize?: number;
  /** "auto" tries the GPU and falls back to the CPU; false forces the CPU. */
  gpu?: "auto" | false;
  /** Generations that may run at once (parallel sequences); undefined lets the backend size it from memory and cores. */
  parallel?: number;
}

/**
 * What a loaded model runs at once: generations (chats, raw completions, other tools), and
 * fill-in-the-middle requests on sequences of their own (0: they share the generation slots and go first).
 */
export interface ModelSlots {
  generation: number;
  fim: number;
}

/** What a model computes: text (chats, completions), embeddings, or relevance scores for reranking. */
export type ModelTask = "generate" | "embed" | "rank";

/**
 * What a model is loaded for: completion wants a small fill-in-the-middle coder that answers fast;
 * chat the best model that runs well; embedding a model that turns texts into vectors (code
 * search, Continue's index); rerank one that scores documents against a query.
 */
export const MODEL_ROLES = ["chat", "completion", "embedding", "rerank"] as const;
export type ModelRole = (typeof MODEL_ROLES)[number];

/** The task a model must compute to serve a role. */
export const ROLE_TASK: Record<ModelRole, ModelTask> = { chat: "generate", completion: "generate", embedding: "embed", rerank: "rank" };

/** A text to embed, or its token ids. */
export type EmbedInput = string | number[];

export interface EmbedOptions {
  /** A text longer than the model's context is cut to fit, instead of refused. */
  truncate: boolean;
}

export interface Embeddings {
  /** One unit-length vector per text, in the texts' order. */
  vectors: number[][];
  /** Tokens evaluated over all texts. */
  tokens: number;
}

export interface Ranking {
  /** Each document's relevance to the query in [0, 1], in the documents' order. */
  scores: number[];
  tokens: number;
}

export interface ModelInfo {
  id: string;
  task: ModelTask;
  path: string;
  backend: BackendName;
  architecture: string;
  /** Tokens one request may use: the context each sequence was given at load. */
  contextSize: number;
  /** The longest context the model was trained for (its GGUF or genai_config says), which a load may give it. */
  trainedContextSize: number;
  /** The GPU API in use ("cuda", "vulkan", "metal", "dml" ...), or false on the CPU. */
  gpu: string | false;
  /** How the runtime runs it, in a few words for logs (threads, attention, execution provider). */
  runtime: string;
  /** Whose chat template renders chats: the model's own, or ChatML for a model without one. */
  chatTemplate: "model" | "chatml-default";
  slots: ModelSlots;
}

/**
 * What /tokenize counts: a text, always as plain text (marker spellings in it are ordinary
 * characters), or a chat as the model sees it, its template's special tokens included.
 */
export type TokenizeInput = { text: string } | { messages: ChatMessage[]; tools?: ToolSpec[] };

/** One model runtime. Lives inside the engine worker; the host never calls it directly. */
export interface Backend {
  load(spec: LoadSpec): Promise<ModelInfo>;
  unload(): Promise<void>;
  info(): ModelInfo | undefined;
  tokenize(input: TokenizeInput): Promise<number[]>;
  chat(messages: ChatMessage[], options: GenerationOptions, signal: AbortSignal): AsyncIterable<GenerationEvent>;
  complete(prompt: string, options: GenerationOptions, signal: AbortSignal): AsyncIterable<GenerationEvent>;
  infill(prefix: string, suffix: string, options: GenerationOptions, signal: AbortSignal): AsyncIterable<GenerationEvent>;
  embed(inputs: EmbedInput[], options: EmbedOptions): Promise<Embeddings>;
  rank(query: string, documents: string[], options: EmbedOptions): Promise<Ranking>;
}
