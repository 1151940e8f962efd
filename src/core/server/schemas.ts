// Request validation for the generation routes: OpenAI's JSON in, the engine's types out.
// Objects are loose because real clients send fields we do not use (`user`, `logit_bias`,
// `parallel_tool_calls`...): those are ignored, not refused.
import { z } from "zod";
import type { ChatMessage, ExtraChunk, GenerationOptions, ResponseFormat, ToolChoice, TokenizeInput, ToolSpec } from "../protocol/types";
import { ApiError } from "./errors";
import { parseBody, show } from "./requestBody";

const MAX_STOP_SEQUENCES = 16;

const chatRoles = z.enum(["system", "developer", "user", "assistant", "tool"]);

const textPart = z.looseObject({
  type: z.literal("text", {
    // Undefined falls back to the generic map, which reports a missing field.
    error: (issue) =>
      issue.input === undefined ? undefined : `only "text" content parts are supported, not ${show(issue.input)}`,
  }),
  text: z.string(),
});

/** OpenAI's rule for function names, which also keeps them safe inside prompts and grammars. */
export const functionName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1 to 64 letters, digits, underscores or dashes");

const toolCall = z.looseObject({
  id: z.string().min(1),
  type: z.literal("function").optional(),
  function: z.looseObject({ name: functionName, arguments: z.string() }),
});

const chatMessage = z
  .looseObject({
    role: chatRoles,
    // null is what an assistant message carrying `tool_calls` has; it reads as empty text.
    content: z.union([z.string(), z.null(), z.array(textPart)], {
      error: "must be a string, null, or an array of text parts",
    }).optional(),
    tool_calls: z.array(toolCall).nullish(),
    tool_call_id: z.string().nullish(),
  })
  .transform(
    (m): ChatMessage => ({
      // The engine's templates know "system"; "developer" is OpenAI's newer name for it.
      role: m.role === "developer" ? "system" : m.role,
      content: Array.isArray(m.content) ? m.content.map((p) => p.text).join("\n") : (m.content ?? ""),
      ...(m.tool_calls?.length && { toolCalls: m.tool_calls.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments })) }),
      ...(m.tool_call_id && { toolCallId: m.tool_call_id }),
    }),
  );

/** Deeper than real schemas go, and far below what the copy to the engine and the grammar compiler can take. */
export const MAX_SCHEMA_DEPTH = 64;

/** Whether `value` nests no deeper than `limit` objects and arrays; without recursion, whatever its depth. */
function nestsWithin(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== "object") continue;
    if (depth > limit) return false;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return true;
}

/** A JSON Schema given by a request (a tool's parameters, a response format). */
export const schemaObject = (error: string) =>
  z.record(z.string(), z.unknown(), { error }).refine((schema) => nestsWithin(schema, MAX_SCHEMA_DEPTH), { error: `is nested more than ${MAX_SCHEMA_DEPTH} levels deep` });

const jsonSchemaObject = schemaObject("must be a JSON Schema object");

/** A function tool, as OpenAI and Ollama send them. */
export const tool = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({
    name: functionName,
    description: z.string().nullish(),
    parameters: jsonSchemaObject.nullish(),
  }),
});

const toolChoice = z.union(
  [z.enum(["auto", "none", "required"]), z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: functionName }) })],
  { error: 'must be "auto", "none", "required", or {"type": "function", "function": {"name": ...}}' },
);

const responseFormat = z.discriminatedUnion(
  "type",
  [
    z.looseObject({ type: z.literal("text") }),
    z.looseObject({ type: z.literal("json_object") }),
    z.looseObject({
      type: z.literal("json_schema"),
      json_schema: z.looseObject({ name: z.string().min(1), schema: jsonSchemaObject, strict: z.boolean().nullish() }),
    }),
  ],
  { error: 'must have a type of "text", "json_object" or "json_schema"' },
);

const stop = z.union(
  [z.string().min(1), z.array(z.string().min(1)).max(MAX_STOP_SEQUENCES)],
  { error: `must be a string or an array of at most ${MAX_STOP_SEQUENCES} strings` },
);

// Optional fields accept null too: several clients send `"temperature": null` for "unset".
/** The sampler's fields, named alike by OpenAI and llama.cpp's server. */
export const samplerFields = {
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  // Not OpenAI; llama.cpp's server and Ollama accept them, and some clients send them.
  top_k: z.int().min(0).nullish(),
  repeat_penalty: z.number().gt(0).nullish(),
  seed: z.int().nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
};

const sampling = {
  model: z.string().min(1),
  max_tokens: z.int().min(1).nullish(),
  max_completion_tokens: z.int().min(1).nullish(),
  ...samplerFields,
  stop: stop.nullish(),
  // llama.cpp's name: a time budget for generation, from the first token (editors' completions).
  t_max_predict_ms: z.int().min(1).max(600_000).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().nullish() }).nullish(),
  n: z.literal(1, { error: "only n=1 is supported" }).nullish(),
};

const chatBody = z.looseObject({
  ...sampling,
  messages: z.array(chatMessage).min(1),
  tools: z.array(tool).max(128).nullish(),
  tool_choice: toolChoice.nullish(),
  response_format: responseFormat.nullish(),
});

/**
 * llama.cpp's /infill field: parts of other files, as context for fill-in-the-middle. Loose, as
 * llama.vscode sends each chunk with the `time` it was picked; llama.cpp's own default name stands in
 * for a missing filename.
 */
export const inputExtra = z
  .array(
    z.looseObject({ filename: z.string().max(1024).nullish().transform((f) => f ?? "tmp"), text: z.string().max(65_536) }),
    { error: "must be an array of {filename, text}" },
  )
  .max(64)
  .nullish();

const completionBody = z.looseObject({
  ...sampling,
  prompt: z.union(
    [
      z.string(),
      z
        .array(z.string({ error: "token-id prompts are not supported; send the prompt as text" }))
        .refine((prompts) => prompts.length === 1, { error: "must hold exactly one prompt; batches are not supported" }),
    ],
    { error: "must be a string (or an array holding one string)" },
  ),
  // A string (even "") asks for fill-in-the-middle: the text goes between prompt and suffix.
  suffix: z.string().nullish(),
  input_extra: inputExtra,
  echo: z.literal(false, { error: "echo is not supported" }).nullish(),
});

type SamplingFields = z.infer<z.ZodObject<typeof sampling>>;

/** What both generation routes share once a request is valid. */
export interface GenerationRequest {
  model: string;
  options: GenerationOptions;
  /** The field maxTokens came from, for the context-size check's error. */
  maxTokensParam: "max_tokens" | "max_completion_tokens";
  stream: boolean;
  includeUsage: boolean;
}

export interface ChatRequest extends GenerationRequest {
  messages: ChatMessage[];
}

export interface CompletionRequest extends GenerationRequest {
  prompt: string;
  /** Present: fill-in-the-middle between prompt and suffix. */
  suffix?: string;
}

/** Throws ApiError 400 naming the first invalid field. */
export function parseChatRequest(body: unknown): ChatRequest {
  const parsed = parseBody(chatBody, body);
  const request = generationRequest(parsed);
  const tools = toolSpecs(parsed.tools);
  const choice = parsed.tool_choice;
  const toolChoice: ToolChoice | undefined = typeof choice === "object" && choice !== null ? { name: choice.function.name } : (choice ?? undefined);
  checkToolChoice(toolChoice, tools);
  const format = parsed.response_format;
  const responseFormat: ResponseFormat | undefined =
    format?.type === "json_object" ? { type: "json_object" } : format?.type === "json_schema" ? { type: "json_schema", name: format.json_schema.name, schema: format.json_schema.schema } : undefined;
  if (responseFormat && toolChoice !== undefined && toolChoice !== "none" && tools.length > 0) {
    throw new ApiError(400, "'response_format' and 'tools' cannot be combined: send one or the other (or tool_choice \"none\").", { param: "response_format", code: "invalid_value" });
  }
  const options: GenerationOptions = {
    ...request.options,
    ...(tools.length > 0 && { tools, toolChoice: toolChoice ?? "auto" }),
    ...(responseFormat && { responseFormat }),
  };
  return { ...request, options, messages: parsed.messages };
}

/** Throws ApiError 400 naming the first invalid field. */
export function parseCompletionRequest(body: unknown): CompletionRequest {
  const parsed = parseBody(completionBody, body);
  const prompt = typeof parsed.prompt === "string" ? parsed.prompt : parsed.prompt[0]!;
  if (parsed.input_extra?.length && parsed.suffix == null) {
    throw new ApiError(400, "'input_extra' is context for fill-in-the-middle: send it with 'suffix'.", { param: "input_extra", code: "invalid_value" });
  }
  const request = generationRequest(parsed);
  return {
    ...request,
    ...(parsed.input_extra?.length && { options: { ...request.options, inputExtra: extraChunks(parsed.input_extra) } }),
    prompt,
    ...(parsed.suffix != null && { suffix: parsed.suffix }),
  };
}

/** A tool choice that asks for a call needs tools, and a named one a tool of that name. */
export function checkToolChoice(toolChoice: ToolChoice | undefined, tools: ToolSpec[]): void {
  if (toolChoice !== undefined && toolChoice !== "auto" && toolChoice !== "none" && tools.length === 0) {
    throw new ApiError(400, "Invalid 'tool_choice': it asks for a tool call, but 'tools' is empty.", { param: "tool_choice", code: "invalid_value" });
  }
  if (typeof toolChoice === "object" && !tools.some((t) => t.name === toolChoice.name)) {
    throw new ApiError(400, `Invalid 'tool_choice': there is no tool named '${toolChoice.name}' in 'tools'.`, { param: "tool_choice", code: "invalid_value" });
  }
}

/** Only the fields the engine reads cross to it. */
export function extraChunks(chunks: z.infer<typeof inputExtra> & object): ExtraChunk[] {
  return chunks.map(({ filename, text }) => ({ filename, text }));
}

export function toolSpecs(tools: z.infer<typeof tool>[] | null | undefined): ToolSpec[] {
  return (tools ?? []).map((t) => ({
    name: t.function.name,
    ...(t.function.description && { description: t.function.description }),
    // A function without parameters takes an empty object.
    parameters: t.function.parameters ?? { type: "object", properties: {} },
  }));
}

/** A token budget larger than the whole context is a client mistake, not a reason to run until the context fills. */
export function checkMaxTokens(request: { options: GenerationOptions; maxTokensParam: string }, contextSize: number): void {
  const { maxTokens } = request.options;
  if (maxTokens !== undefined && maxTokens > contextSize) {
    throw new ApiError(
      400,
      `'${request.maxTokensParam}' is ${maxTokens}, but the loaded model's context holds only ${contextSize} tokens (prompt included).`,
      { param: request.maxTokensParam, code: "invalid_value" },
    );
  }
}

const tokenizeModel = { model: z.string().min(1).nullish() };
const tokenizeBody = z.union(
  // Other fields (llama.cpp's add_special, with_pieces) are accepted and left out.
  [z.object({ content: z.string(), ...tokenizeModel }), z.object({ messages: z.array(chatMessage).min(1), ...tokenizeModel })],
  { error: 'needs "content" (a text) or "messages" (a chat)' },
);

/**
 * llama.cpp's /tokenize body, {content}, counted as plain text; or {messages}, counted as the
 * model's chat prompt. Optionally the model (loaded on demand).
 */
export function parseTokenizeRequest(body: unknown): { input: TokenizeInput; model?: string } {
  const parsed = parseBody(tokenizeBody, body);
  const input: TokenizeInput = "content" in parsed ? { text: parsed.content } : { messages: parsed.messages };
  return { input, ...(parsed.model != null && { model: parsed.model }) };
}

function generationRequest(body: SamplingFields): GenerationRequest {
  // max_completion_tokens is OpenAI's newer name; it wins when both are sent.
  const maxTokensParam = body.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens";
  const options = definedOptions({
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
    ...samplerOptions(body),
    stop: typeof body.stop === "string" ? [body.stop] : body.stop?.length ? body.stop : undefined,
    maxPredictMs: body.t_max_predict_ms ?? undefined,
  });
  return {
    model: body.model,
    options,
    maxTokensParam,
    stream: body.stream ?? false,
    includeUsage: body.stream_options?.include_usage ?? false,
  };
}

/** The engine's names for the sampler's fields. */
export function samplerOptions(body: z.infer<z.ZodObject<typeof samplerFields>>): GenerationOptions {
  return {
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    topK: body.top_k ?? undefined,
    seed: body.seed ?? undefined,
    repeatPenalty: body.repeat_penalty ?? undefined,
    presencePenalty: body.presence_penalty ?? undefined,
    frequencyPenalty: body.frequency_penalty ?? undefined,
  };
}

/** Unset options left out, so that the engine's defaults apply and nothing undefined crosses to the worker. */
export function definedOptions(options: GenerationOptions): GenerationOptions {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as GenerationOptions;
}
