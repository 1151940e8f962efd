// Finds the model's tool calls in its text stream and turns them into OpenAI tool calls; all
// other text stays content. Two formats: the Hermes <tool_call> blocks that Qwen models write
// (and that every backend prompts for when the template has no tools of its own), and Llama 3's
// bare JSON answer {"name": ..., "parameters": ...}. Text that might be the start of either is
// held back until it is clear which it is.
import { randomBytes } from "node:crypto";
import { TOOL_CALL_CLOSE, TOOL_CALL_OPEN } from "../backends/tools/hermesFormat";
import type { GenerationEvent, GenerationOptions, ToolCall } from "../protocol/types";

export type ChoiceEvent = GenerationEvent | { type: "toolCall"; call: ToolCall };

/** The stream with the model's tool calls found, when the request offered tools (and did not say "none"). */
export function withRequestedToolCalls(events: AsyncIterable<GenerationEvent>, options: GenerationOptions): AsyncIterable<ChoiceEvent> {
  const { tools, toolChoice } = options;
  return tools?.length && toolChoice !== "none" ? withToolCalls(events, new Set(tools.map((t) => t.name))) : events;
}

/** Llama 3 answers a call with JSON only, after an optional <|python_tag|>. */
const BARE_CALL_START = /^\s*(<\|python_tag\|>)?\s*\{/;

export async function* withToolCalls(events: AsyncIterable<GenerationEvent>, toolNames: ReadonlySet<string>): AsyncIterable<ChoiceEvent> {
  let pending = "";
  let tokens = 0;
  // While the answer so far could be a bare JSON call, all of it waits for the end.
  let bare: boolean | undefined;
  // The whitespace a model puts between a call and what follows is not content.
  let afterCall = false;
  for await (const event of events) {
    if (event.type === "done") {
      const call = bare ? parseCall(pending.replace(BARE_CALL_START, "{"), toolNames) : undefined;
      if (call) yield { type: "toolCall", call };
      // An unclosed call at the end (max_tokens) is a call only if its JSON is whole.
      else if (pending) yield* block(pending, toolNames, tokens, true);
      // The stream is read to its end: stopping here would count as a cancelled request.
      yield event;
      continue;
    }
    pending += event.text;
    tokens += event.tokens;
    if (bare === undefined && pending.trim() !== "" && !"<|python_tag|>".startsWith(pending.trim())) bare = BARE_CALL_START.test(pending);
    if (bare !== false) continue;
    for (;;) {
      if (afterCall) {
        pending = pending.replace(/^\s+/, "");
        if (pending === "") break;
        afterCall = false;
      }
      const open = pending.indexOf(TOOL_CALL_OPEN);
      if (open < 0) {
        const keep = partialTagLength(pending);
        if (pending.length > keep) yield { type: "text", text: pending.slice(0, pending.length - keep), tokens };
        pending = pending.slice(pending.length - keep);
        tokens = 0;
        break;
      }
      if (open > 0) {
        yield { type: "text", text: pending.slice(0, open), tokens };
        tokens = 0;
        pending = pending.slice(open);
      }
      const close = pending.indexOf(TOOL_CALL_CLOSE);
      if (close < 0) break;
      yield* block(pending.slice(0, close + TOOL_CALL_CLOSE.length), toolNames, tokens, false);
      tokens = 0;
      pending = pending.slice(close + TOOL_CALL_CLOSE.length);
      afterCall = true;
    }
  }
}

/** One <tool_call>…</tool_call> block (or text that only looked like one). */
function* block(text: string, toolNames: ReadonlySet<string>, tokens: number, atEnd: boolean): Iterable<ChoiceEvent> {
  const inner = text.startsWith(TOOL_CALL_OPEN) ? text.slice(TOOL_CALL_OPEN.length).replace(new RegExp(`${TOOL_CALL_CLOSE.replace("/", "\\/")}$`), "") : undefined;
  const call = inner === undefined ? undefined : parseCall(inner, toolNames);
  if (call) yield { type: "toolCall", call };
  else if (text && !(atEnd && text.trim() === "")) yield { type: "text", text, tokens };
}

function parseCall(json: string, toolNames: ReadonlySet<string>): ToolCall | undefined {
  try {
    const parsed = JSON.parse(json) as { name?: unknown; arguments?: unknown; parameters?: unknown };
    const args = parsed.arguments ?? parsed.parameters ?? {};
    if (typeof parsed.name !== "string" || !toolNames.has(parsed.name)) return undefined;
    return { id: `call_${randomBytes(12).toString("hex")}`, name: parsed.name, arguments: typeof args === "string" ? args : JSON.stringify(args) };
  } catch {
    return undefined;
  }
}

/** How many characters at the end of `text` could be the start of an opening tag. */
function partialTagLength(text: string): number {
  for (let n = Math.min(TOOL_CALL_OPEN.length - 1, text.length); n > 0; n--) {
    if (TOOL_CALL_OPEN.startsWith(text.slice(-n))) return n;
  }
  return 0;
}
