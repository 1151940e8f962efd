// Tool calls in the Hermes format that Qwen2.5, Qwen3 and many fine-tunes are trained on:
//   <tool_call>
//   {"name": "get_weather", "arguments": {"city": "Paris"}}
//   </tool_call>
// Models whose chat template knows tools get them through it; for the others the tools are
// described in a system message in this same format, so one parser reads every model's calls.
import type { ChatMessage, ToolChoice, ToolSpec } from "../../protocol/types";

export const TOOL_CALL_OPEN = "<tool_call>";
export const TOOL_CALL_CLOSE = "</tool_call>";

/** Tools as Hugging Face chat templates read them (OpenAI's wire shape). */
export function templateTools(tools: ToolSpec[]): Record<string, unknown>[] {
  return tools.map((t) => ({ type: "function", function: { name: t.name, description: t.description ?? "", parameters: t.parameters } }));
}

/** Messages as templates read them: calls with their arguments as objects, tool turns with their call id. */
export function templateMessages(messages: ChatMessage[]): ({ content: string } & Record<string, unknown>)[] {
  return messages.map((m) => ({
    role: m.role,
    content: m.content,
    ...(m.toolCalls && {
      tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: parseArguments(c.arguments) } })),
    }),
    ...(m.toolCallId && { tool_call_id: m.toolCallId }),
  }));
}

/**
 * For a template that knows nothing of tools: the tools described in the system message, calls
 * written out as <tool_call> blocks, and results as <tool_response> user turns.
 */
export function messagesWithToolsInText(messages: ChatMessage[], tools: ToolSpec[]): ChatMessage[] {
  const described = tools.length > 0 ? [toolsSystemText(tools)] : [];
  const [first, ...rest] = messages;
  const head: ChatMessage[] =
    first?.role === "system" ? [{ role: "system", content: [first.content, ...described].join("\n\n") }] : [...described.map((content) => ({ role: "system" as const, content })), ...(first ? [first] : [])];
  const body = first?.role === "system" ? rest : messages.slice(1);
  return [...head, ...body].map((m): ChatMessage => {
    if (m.role === "tool") return { role: "user", content: `<tool_response>\n${m.content}\n</tool_response>` };
    if (m.toolCalls?.length) {
      const calls = m.toolCalls.map((c) => `${TOOL_CALL_OPEN}\n${JSON.stringify({ name: c.name, arguments: parseArguments(c.arguments) })}\n${TOOL_CALL_CLOSE}`);
      return { role: m.role, content: [m.content, ...calls].filter(Boolean).join("\n") };
    }
    return { role: m.role, content: m.content };
  });
}

function toolsSystemText(tools: ToolSpec[]): string {
  const signatures = templateTools(tools).map((t) => JSON.stringify(t)).join("\n");
  return (
    "# Tools\n\nYou may call one or more functions to assist with the user query.\n\n" +
    `You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n${signatures}\n</tools>\n\n` +
    "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n" +
    `${TOOL_CALL_OPEN}\n{"name": <function-name>, "arguments": <args-json-object>}\n${TOOL_CALL_CLOSE}`
  );
}

/** The JSON Schema of one call the model may make under `choice` ("required" or a named function). */
export function callSchema(tools: ToolSpec[], choice: Exclude<ToolChoice, "auto" | "none">): Record<string, unknown> {
  const allowed = typeof choice === "object" ? tools.filter((t) => t.name === choice.name) : tools;
  const variants = allowed.map((t) => ({
    type: "object",
    properties: { name: { const: t.name }, arguments: t.parameters },
    required: ["name", "arguments"],
    additionalProperties: false,
  }));
  return variants.length === 1 ? variants[0] : { oneOf: variants };
}

/** A call's arguments as an object, as templates and Ollama's clients want them (the text itself if it is not JSON). */
export function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
