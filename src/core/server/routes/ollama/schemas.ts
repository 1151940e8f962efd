// Request validation for Ollama's routes: Ollama's JSON in, the engine's types out. Objects are
// loose, as in Ollama: fields Squeeze has no use for (think, num_ctx,
// mirostat ...) are accepted and ignored, so clients that always send them work unchanged.
import { z } from "zod";
import type { ChatMessage, GenerationOptions } from "../../../protocol/types";
import { ApiError } from "../../errors";
import { parseBody } from "../../requestBody";
import { functionName, schemaObject, tool, toolSpecs } from "../../schemas";
import { keepAliveField } from "./keepAlive";

const MAX_STOP_SEQUENCES = 16;

// Optional fields accept null too, as Go's JSON decoder does.
const options = z.looseObject({
  temperature: z.number().min(0).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.int().min(0).nullish(),
  // Negative is llama.cpp's "random seed".
  seed: z.int().nullish(),
  // -1 (no limit) and -2 (fill the context) are Ollama's; both run to the end of the context here.
  num_predict: z
    .int()
    .refine((n) => n > 0 || n === -1 || n === -2, { error: "must be a positive integer, or -1 or -2 for no limit" })
    .nullish(),
  stop: z.array(z.string()).max(MAX_STOP_SEQUENCES).nullish(),
  repeat_penalty: z.number().gt(0).nullish(),
  presence_penalty: z.number().nullish(),
  frequency_penalty: z.number().nullish(),
});

// The loaded models read text only; an image silently dropped would get an answer about nothing.
const images = z.array(z.unknown()).max(0, { error: "images are not supported: the loaded model reads text only" }).nullish();

// Ollama's calls carry their arguments as an object, and no id.
const toolCall = z.looseObject({
  function: z.looseObject({ name: functionName, arguments: z.record(z.string(), z.unknown()).nullish() }),
});

const message = z.looseObject({
  role: z.enum(["system", "user", "assistant", "tool"]),
  content: z.string().nullish(),
  images,
  tool_calls: z.array(toolCall).nullish(),
});



/** Ollama's structured output: "json", or a JSON Schema object. */
const format = z.union([z.literal("json"), z.literal(""), schemaObject('must be "json" or a JSON Schema object')], { error: 'must be "json" or a JSON Schema object' });

const common = {
  model: z.string().min(1),
  format: format.nullish(),
  // Ollama streams unless told not to.
  stream: z.boolean().nullish(),
  options: options.nullish(),
  keep_alive: keepAliveField.nullish(),
};

const chatBody = z.looseObject({ ...common, messages: z.array(message).nullish(), tools: z.array(tool).max(128).nullish() });

const generateBody = z.looseObject({
  ...common,
  prompt: z.string().nullish(),
  suffix: z.string().nullish(),
  system: z.string().nullish(),
  raw: z.boolean().nullish(),
  images,
});

// Older clients send `name`.
const showBody = z.looseObject({ model: z.string().min(1).nullish(), name: z.string().min(1).nullish() });

export interface OllamaGenerationRequest {
  model: string;
  stream: boolean;
  options: GenerationOptions;
  /** How long the model stays loaded once idle, in ms (negative: kept); undefined: as it was. */
  keepAliveMs: number | undefined;
}

export interface OllamaChatRequest extends OllamaGenerationRequest {
  /** Empty: Ollama's "load the model" request. */
  messages: ChatMessage[];
}

export interface OllamaGenerateRequest extends OllamaGenerationRequest {
  /** Empty with no suffix: Ollama's "load the model" request. */
  prompt: string;
  /** Non-empty: fill-in-the-middle between prompt and suffix (Ollama treats "" as no suffix). */
  suffix: string | undefined;
  system: string | undefined;
  raw: boolean;
}

/** Each parser throws ApiError 400 naming the first invalid field. */
export function parseChatRequest(body: unknown): OllamaChatRequest {
  const parsed = parseBody(chatBody, body, "field");
  const request = generationRequest(parsed);
  const tools = toolSpecs(parsed.tools);
  // Ollama has no tool_choice: the model decides.
  if (tools.length > 0) request.options = { ...request.options, tools, toolChoice: "auto" };
  return {
    ...request,
    messages: (parsed.messages ?? []).map((m, i): ChatMessage => ({
      role: m.role,
      content: m.content ?? "",
      ...(m.tool_calls?.length && {
        toolCalls: m.tool_calls.map((c, j) => ({ id: `call_${i}_${j}`, name: c.function.name, arguments: JSON.stringify(c.function.arguments ?? {}) })),
      }),
    })),
  };
}

export function parseGenerateRequest(body: unknown): OllamaGenerateRequest {
  const parsed = parseBody(generateBody, body, "field");
  // Only chat-template generation takes constraints; a raw or fill-in-the-middle one would ignore it.
  if (parsed.format && (parsed.raw || parsed.suffix)) {
    throw new ApiError(400, "Invalid 'format': it works with the chat template, not with 'raw' or 'suffix'.", { param: "format" });
  }
  return {
    ...generationRequest(parsed),
    prompt: parsed.prompt ?? "",
    suffix: parsed.suffix || undefined,
    system: parsed.system ?? undefined,
    raw: parsed.raw ?? false,
  };
}

/** The model named by /api/show. */
export function parseShowRequest(body: unknown): string {
  const parsed = parseBody(showBody, body, "field");
  const model = parsed.model ?? parsed.name;
  if (!model) throw new ApiError(400, "Missing required field 'model'.", { param: "model" });
  return model;
}

function generationRequest(body: z.infer<z.ZodObject<typeof common>>): OllamaGenerationRequest {
  const o = body.options ?? {};
  const generation: GenerationOptions = {
    maxTokens: o.num_predict != null && o.num_predict > 0 ? o.num_predict : undefined,
    temperature: o.temperature ?? undefined,
    topP: o.top_p ?? undefined,
    topK: o.top_k ?? undefined,
    seed: o.seed != null && o.seed >= 0 ? o.seed : undefined,
    repeatPenalty: o.repeat_penalty ?? undefined,
    presencePenalty: o.presence_penalty ?? undefined,
    frequencyPenalty: o.frequency_penalty ?? undefined,
    stop: o.stop?.filter((s) => s.length > 0),
    responseFormat:
      body.format === "json" ? { type: "json_object" } : typeof body.format === "object" && body.format !== null ? { type: "json_schema", name: "format", schema: body.format } : undefined,
  };
  if (!generation.stop?.length) delete generation.stop;
  return {
    model: body.model,
    stream: body.stream ?? true,
    keepAliveMs: body.keep_alive ?? undefined,
    // Unset options are left out so the engine's defaults apply and nothing undefined crosses to the worker.
    options: Object.fromEntries(Object.entries(generation).filter(([, v]) => v !== undefined)) as GenerationOptions,
  };
}
