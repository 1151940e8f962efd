// Anthropic's Messages request, read into the engine's chat: system text, content blocks (text,
// tool_use, tool_result), tools with their input schemas, tool_choice. Other fields (metadata,
// thinking, service_tier, cache_control on blocks) are accepted and left out.
import { z } from "zod";
import type { ChatMessage, GenerationOptions, ToolChoice, ToolSpec } from "../../../protocol/types";
import { parseBody, show } from "../../requestBody";
import { checkToolChoice, definedOptions, functionName, schemaObject } from "../../schemas";

const MAX_STOP_SEQUENCES = 16;

const textBlock = z.looseObject({ type: z.literal("text"), text: z.string() });

const toolUseBlock = z.looseObject({
  type: z.literal("tool_use"),
  id: z.string().min(1),
  name: functionName,
  input: z.record(z.string(), z.unknown(), { error: "must be an object" }),
});

const toolResultBlock = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(textBlock)], { error: "must be a string or an array of text blocks" }).optional(),
  is_error: z.boolean().nullish(),
});

const block = z.discriminatedUnion("type", [textBlock, toolUseBlock, toolResultBlock], {
  error: (issue) => {
    const type = (issue.input as { type?: unknown } | undefined)?.type;
    return type === undefined ? undefined : `only "text", "tool_use" and "tool_result" content blocks are supported, not ${show(type)}`;
  },
});

const message = z.looseObject({
  role: z.enum(["user", "assistant"]),
  content: z.union([z.string(), z.array(block)], { error: "must be a string or an array of content blocks" }),
});

const tool = z.looseObject({
  name: functionName,
  description: z.string().nullish(),
  input_schema: schemaObject("must be a JSON Schema object"),
});

const toolChoice = z.discriminatedUnion(
  "type",
  [
    z.looseObject({ type: z.literal("auto") }),
    z.looseObject({ type: z.literal("any") }),
    z.looseObject({ type: z.literal("none") }),
    z.looseObject({ type: z.literal("tool"), name: functionName }),
  ],
  { error: 'must be {"type": "auto"}, {"type": "any"}, {"type": "none"} or {"type": "tool", "name": ...}' },
);

const common = {
  model: z.string().min(1),
  messages: z.array(message).min(1),
  system: z.union([z.string(), z.array(textBlock)], { error: "must be a string or an array of text blocks" }).nullish(),
  tools: z.array(tool).max(128).nullish(),
};

const messagesBody = z.looseObject({
  ...common,
  max_tokens: z.int().min(1),
  temperature: z.number().min(0).max(1).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.int().min(0).nullish(),
  stop_sequences: z.array(z.string().min(1)).max(MAX_STOP_SEQUENCES, `must hold at most ${MAX_STOP_SEQUENCES} strings`).nullish(),
  tool_choice: toolChoice.nullish(),
  stream: z.boolean().nullish(),
});

const countBody = z.looseObject(common);

export interface MessagesRequest {
  model: string;
  messages: ChatMessage[];
  options: GenerationOptions;
  stream: boolean;
}

/** Throws ApiError 400 naming the first invalid field. */
export function parseMessagesRequest(body: unknown): MessagesRequest {
  const parsed = parseBody(messagesBody, body);
  const tools = toolSpecs(parsed.tools);
  const choice = parsed.tool_choice;
  const toolChoice: ToolChoice | undefined =
    choice?.type === "tool" ? { name: choice.name } : choice?.type === "any" ? "required" : (choice?.type ?? undefined);
  checkToolChoice(toolChoice, tools);
  const options = definedOptions({
    maxTokens: parsed.max_tokens,
    temperature: parsed.temperature ?? undefined,
    topP: parsed.top_p ?? undefined,
    topK: parsed.top_k ?? undefined,
    stop: parsed.stop_sequences?.length ? parsed.stop_sequences : undefined,
    ...(tools.length > 0 && { tools, toolChoice: toolChoice ?? "auto" }),
  });
  return { model: parsed.model, messages: chatMessages(parsed), options, stream: parsed.stream ?? false };
}

/** /v1/messages/count_tokens: the prompt the same request would be, without sampling fields. */
export function parseCountRequest(body: unknown): { model: string; messages: ChatMessage[]; tools: ToolSpec[] } {
  const parsed = parseBody(countBody, body);
  return { model: parsed.model, messages: chatMessages(parsed), tools: toolSpecs(parsed.tools) };
}

function toolSpecs(tools: z.infer<typeof tool>[] | null | undefined): ToolSpec[] {
  return (tools ?? []).map((t) => ({ name: t.name, ...(t.description && { description: t.description }), parameters: t.input_schema }));
}

type Text = z.infer<typeof textBlock>;
const joined = (content: string | Text[]) => (typeof content === "string" ? content : content.map((b) => b.text).join("\n"));

/**
 * Anthropic's turns as the engine's messages: the system text first; a user turn's tool results
 * become tool messages before its text (Anthropic puts them first), an assistant turn's tool_use
 * blocks its tool calls.
 */
function chatMessages(parsed: { system?: string | Text[] | null; messages: z.infer<typeof message>[] }): ChatMessage[] {
  const out: ChatMessage[] = [];
  if (parsed.system) out.push({ role: "system", content: joined(parsed.system) });
  for (const m of parsed.messages) {
    if (typeof m.content === "string") {
      out.push({ role: m.role, content: m.content });
      continue;
    }
    const text = m.content.filter((b) => b.type === "text").map((b) => b.text).join("\n");
    if (m.role === "assistant") {
      const calls = m.content.filter((b) => b.type === "tool_use").map((b) => ({ id: b.id, name: b.name, arguments: JSON.stringify(b.input) }));
      out.push({ role: "assistant", content: text, ...(calls.length > 0 && { toolCalls: calls }) });
      continue;
    }
    for (const b of m.content) {
      if (b.type !== "tool_result") continue;
      const result = b.content === undefined ? "" : joined(b.content);
      out.push({ role: "tool", toolCallId: b.tool_use_id, content: b.is_error ? `Error: ${result}` : result });
    }
    if (text || !m.content.some((b) => b.type === "tool_result")) out.push({ role: "user", content: text });
  }
  return out;
}
