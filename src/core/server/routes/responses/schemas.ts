// OpenAI's Responses request, read into the engine's chat: `input` as text or items (messages with
// text parts, function calls and their outputs), `instructions` as the system message, function
// tools, `tool_choice`, `text.format` as a response format, and `previous_response_id`. Other
// fields (reasoning, metadata, parallel_tool_calls, truncation, include) are accepted and left out.
import { z } from "zod";
import type { ChatMessage, GenerationOptions, ResponseFormat, ToolChoice, ToolSpec } from "../../../protocol/types";
import { ApiError } from "../../errors";
import { parseBody, show } from "../../requestBody";
import { checkToolChoice, definedOptions, functionName, schemaObject } from "../../schemas";

const textPart = z.looseObject({
  type: z.enum(["input_text", "output_text", "text"], {
    error: (issue) => (issue.input === undefined ? undefined : `only text content parts are supported, not ${show(issue.input)}`),
  }),
  text: z.string(),
});

const messageItem = z.looseObject({
  type: z.literal("message").optional(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([z.string(), z.array(textPart)], { error: "must be a string or an array of text parts" }),
});

const functionCallItem = z.looseObject({
  type: z.literal("function_call"),
  call_id: z.string().min(1),
  name: functionName,
  arguments: z.string(),
});

const functionOutputItem = z.looseObject({
  type: z.literal("function_call_output"),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(textPart)], { error: "must be a string or an array of text parts" }),
});

/** A reasoning item a client sends back from another server: there is nothing here to reason with. */
const reasoningItem = z.looseObject({ type: z.literal("reasoning") });

const item = z.union([messageItem, functionCallItem, functionOutputItem, reasoningItem], {
  error: 'must be a message ({role, content}), a "function_call" or a "function_call_output" item',
});

const functionTool = z.looseObject({
  type: z.literal("function", { error: (issue) => (issue.input === undefined ? undefined : `only "function" tools are supported, not ${show(issue.input)}`) }),
  name: functionName,
  description: z.string().nullish(),
  parameters: schemaObject("must be a JSON Schema object").nullish(),
});

const toolChoice = z.union(
  [z.enum(["auto", "none", "required"]), z.looseObject({ type: z.literal("function"), name: functionName })],
  { error: 'must be "auto", "none", "required", or {"type": "function", "name": ...}' },
);

const textFormat = z.discriminatedUnion(
  "type",
  [
    z.looseObject({ type: z.literal("text") }),
    z.looseObject({ type: z.literal("json_object") }),
    z.looseObject({ type: z.literal("json_schema"), name: z.string().min(1), schema: schemaObject("must be a JSON Schema object") }),
  ],
  { error: 'must have a type of "text", "json_object" or "json_schema"' },
);

const responsesBody = z.looseObject({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(item).min(1)], { error: "must be a string or an array of input items" }),
  instructions: z.string().nullish(),
  previous_response_id: z.string().min(1).nullish(),
  max_output_tokens: z.int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  tools: z.array(functionTool).max(128).nullish(),
  tool_choice: toolChoice.nullish(),
  text: z.looseObject({ format: textFormat.nullish() }).nullish(),
  stream: z.boolean().nullish(),
  store: z.boolean().nullish(),
});

export interface ResponsesRequest {
  model: string;
  /** This request's input as messages, without the instructions or an earlier response's conversation. */
  input: ChatMessage[];
  instructions?: string;
  previousResponseId?: string;
  options: GenerationOptions;
  stream: boolean;
  store: boolean;
  /** Echoed in the response object, as OpenAI echoes them. */
  echo: { tools: unknown[]; tool_choice: unknown; temperature: number | null; top_p: number | null; max_output_tokens: number | null; text: { format: unknown } };
}

/** Throws ApiError 400 naming the first invalid field. */
export function parseResponsesRequest(body: unknown): ResponsesRequest {
  const parsed = parseBody(responsesBody, body);
  const tools: ToolSpec[] = (parsed.tools ?? []).map((t) => ({
    name: t.name,
    ...(t.description && { description: t.description }),
    parameters: t.parameters ?? { type: "object", properties: {} },
  }));
  const choice = parsed.tool_choice;
  const toolChoice: ToolChoice | undefined = typeof choice === "object" && choice !== null ? { name: choice.name } : (choice ?? undefined);
  checkToolChoice(toolChoice, tools);
  const format = parsed.text?.format;
  const responseFormat: ResponseFormat | undefined =
    format?.type === "json_object" ? { type: "json_object" } : format?.type === "json_schema" ? { type: "json_schema", name: format.name, schema: format.schema } : undefined;
  if (responseFormat && toolChoice !== undefined && toolChoice !== "none" && tools.length > 0) {
    throw new ApiError(400, "'text.format' and 'tools' cannot be combined: send one or the other (or tool_choice \"none\").", { param: "text.format", code: "invalid_value" });
  }
  const options = definedOptions({
    maxTokens: parsed.max_output_tokens ?? undefined,
    temperature: parsed.temperature ?? undefined,
    topP: parsed.top_p ?? undefined,
    ...(tools.length > 0 && { tools, toolChoice: toolChoice ?? "auto" }),
    ...(responseFormat && { responseFormat }),
  });
  return {
    model: parsed.model,
    input: inputMessages(parsed.input),
    ...(parsed.instructions && { instructions: parsed.instructions }),
    ...(parsed.previous_response_id && { previousResponseId: parsed.previous_response_id }),
    options,
    stream: parsed.stream ?? false,
    store: parsed.store ?? true,
    echo: {
      tools: (parsed.tools ?? []).map((t) => ({ type: "function", name: t.name, description: t.description ?? null, parameters: t.parameters ?? null, strict: false })),
      tool_choice: choice ?? "auto",
      temperature: parsed.temperature ?? null,
      top_p: parsed.top_p ?? null,
      max_output_tokens: parsed.max_output_tokens ?? null,
      text: { format: format ?? { type: "text" } },
    },
  };
}

type TextParts = string | z.infer<typeof textPart>[];
const joined = (content: TextParts) => (typeof content === "string" ? content : content.map((p) => p.text).join("\n"));

/** Items in order; function calls join the assistant message before them, as one turn with its calls. */
function inputMessages(input: string | z.infer<typeof item>[]): ChatMessage[] {
  if (typeof input === "string") return [{ role: "user", content: input }];
  const out: ChatMessage[] = [];
  for (const entry of input) {
    if (entry.type === "reasoning") continue;
    if (entry.type === "function_call") {
      const call = { id: entry.call_id, name: entry.name, arguments: entry.arguments };
      const last = out.at(-1);
      if (last?.role === "assistant") last.toolCalls = [...(last.toolCalls ?? []), call];
      else out.push({ role: "assistant", content: "", toolCalls: [call] });
    } else if (entry.type === "function_call_output") {
      out.push({ role: "tool", toolCallId: entry.call_id, content: joined(entry.output) });
    } else {
      // The engine's templates know "system"; "developer" is OpenAI's newer name for it.
      out.push({ role: entry.role === "developer" ? "system" : entry.role, content: joined(entry.content) });
    }
  }
  return out;
}
