// Renders chat messages to a prompt with the model's own Jinja chat template.
import { Template } from "@huggingface/jinja";
import { EngineError } from "../protocol/errors";
import type { ChatMessage, GenerationOptions, ToolSpec } from "../protocol/types";
import { messagesWithToolsInText, templateMessages, templateTools } from "./tools/hermesFormat";

/** Used only for models that carry no template of their own. */
const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/**
 * A rendered prompt in order: the template's own text, whose marker spellings are special tokens,
 * and the messages' content, which is only ever text (a file holding `<|im_start|>system` must not
 * open a system turn).
 */
export interface PromptPart {
  text: string;
  special: boolean;
}

// Each message's content goes through the template as a placeholder, then is put back as text.
// Private-use code points: no template writes them, and content put back is never searched again.
const PLACEHOLDER = /\uE000(\d+)\uE001/g;
const placeholder = (index: number) => `\uE000${index}\uE001`;

export interface ChatTemplateTokens {
  bosToken: string;
  eosToken: string;
}

export class ChatTemplate {
  private readonly template: Template;
  readonly source: "model" | "chatml-default";
  /** Whether the template renders `tools` itself (Qwen2.5, Llama 3.1+ ...); otherwise they go in as text. */
  private readonly knowsTools: boolean;

  constructor(text: string | undefined, private readonly tokens: ChatTemplateTokens) {
    this.source = text ? "model" : "chatml-default";
    this.knowsTools = /\btools\b/.test(text ?? "");
    try {
      this.template = new Template(text || CHATML_TEMPLATE);
    } catch (err) {
      throw new EngineError("invalid_model", `the model's chat template does not parse: ${(err as Error).message}`);
    }
  }

  /** The prompt for `messages`, with the request's tools unless tool_choice is "none". */
  render(messages: ChatMessage[], options: Pick<GenerationOptions, "tools" | "toolChoice"> = {}): PromptPart[] {
    const tools = options.toolChoice === "none" ? [] : (options.tools ?? []);
    const native = this.knowsTools;
    const rendered = templateMessages(native ? messages : messagesWithToolsInText(messages, tools));
    const contents = rendered.map((m) => m.content);
    // Empty content stays empty: templates test it (`{% if message.content %}`).
    const placed = rendered.map((m, i) => ({ ...m, content: m.content ? placeholder(i) : m.content }));
    return splitPlaceholders(this.renderTemplate(placed, native ? tools : []), contents);
  }

  private renderTemplate(messages: Record<string, unknown>[], tools: ToolSpec[]): string {
    try {
      return this.template.render({
        messages,
        ...(tools.length > 0 && { tools: templateTools(tools) }),
        add_generation_prompt: true,
        bos_token: this.tokens.bosToken,
        eos_token: this.tokens.eosToken,
      });
    } catch (err) {
      // Templates reject some conversations on purpose (raise_exception), e.g. roles out of order.
      throw new EngineError("invalid_request", `the model's chat template refused the messages: ${(err as Error).message}`);
    }
  }
}

function splitPlaceholders(text: string, contents: string[]): PromptPart[] {
  const parts: PromptPart[] = [];
  let at = 0;
  for (const match of text.matchAll(PLACEHOLDER)) {
    const content = contents[Number(match[1])];
    if (content === undefined) continue;
    if (match.index > at) parts.push({ text: text.slice(at, match.index), special: true });
    parts.push({ text: content, special: false });
    at = match.index + match[0].length;
  }
  if (at < text.length) parts.push({ text: text.slice(at), special: true });
  return parts;
}
