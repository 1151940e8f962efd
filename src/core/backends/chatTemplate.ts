// Renders chat messages to a prompt with the model's own Jinja chat template.
import { Template } from "@huggingface/jinja";
import { EngineError } from "../engine/errors";
import type { ChatMessage, GenerationOptions } from "../engine/types";
import { messagesWithToolsInText, templateMessages, templateTools } from "./tools/hermesFormat";

/** Used only for models that carry no template of their own. */
const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

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
  render(messages: ChatMessage[], options: Pick<GenerationOptions, "tools" | "toolChoice"> = {}): string {
    const tools = options.toolChoice === "none" ? [] : (options.tools ?? []);
    const native = this.knowsTools;
    try {
      return this.template.render({
        messages: templateMessages(native ? messages : messagesWithToolsInText(messages, tools)),
        ...(native && tools.length > 0 && { tools: templateTools(tools) }),
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
