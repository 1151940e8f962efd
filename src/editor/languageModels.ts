// Squeeze's models in VS Code's own chat and to every extension through `vscode.lm`: a language
// model chat provider (vendor "squeeze") over the local API, as any other client uses it. It lists
// the loaded models that generate text with their real context and the other downloaded ones
// (loaded on first use), streams answers, turns VS Code's
// tools into OpenAI's and the model's calls into LanguageModelToolCallParts, and counts tokens
// with the model's own tokenizer.
import * as vscode from "vscode";
import type { ApiClient, ChatRequestMessage, ChatTools } from "./apiClient";

export const VENDOR = "squeeze";

/** Answers up to this long unless the context leaves less. */
const MAX_OUTPUT_TOKENS = 4096;
/** The context the server gives a model it loads on demand, at most (it sizes it to the memory free then). */
const ON_DEMAND_CONTEXT = 8192;

function info(id: string, context: number, detail: string, tooltip: string): vscode.LanguageModelChatInformation {
  return {
    id,
    name: id,
    family: "squeeze",
    version: "1",
    detail,
    tooltip,
    // A request's prompt and answer share the context.
    maxInputTokens: context,
    maxOutputTokens: Math.min(MAX_OUTPUT_TOKENS, context),
    capabilities: { toolCalling: true, imageInput: false },
  };
}

export class LanguageModels implements vscode.LanguageModelChatProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeLanguageModelChatInformation = this.changed.event;

  constructor(private readonly client: () => ApiClient) {}

  /** The server's models changed (loaded, unloaded, another server): VS Code asks for the list again. */
  refresh(): void {
    this.changed.fire();
  }

  async provideLanguageModelChatInformation(): Promise<vscode.LanguageModelChatInformation[]> {
    const client = this.client();
    const [loaded, downloaded] = await Promise.all([client.loadedModels().catch(() => []), client.models(false).catch(() => [])]);
    const generating = loaded.filter((m) => (m.squeeze.task ?? "generate") === "generate");
    const served = generating.map((m) => {
      const context = m.context_length ?? m.squeeze.context_size;
      const device = m.squeeze.device.toUpperCase();
      return info(m.id, context, `Squeeze · ${device}`, `${m.id} on this machine's ${device} (${m.squeeze.backend}), ${context} tokens of context`);
    });
    // The others on disk load when a request names them; their context is sized then.
    const loadedIds = new Set(loaded.map((m) => m.id));
    const onDisk = downloaded
      .filter((m) => !loadedIds.has(m.id) && m.labels.some((l) => l === "chat" || l === "fim"))
      .map((m) => {
        const context = Math.min(m.max_context_window ?? ON_DEMAND_CONTEXT, ON_DEMAND_CONTEXT);
        return info(m.id, context, "Squeeze · loads on first use", `${m.id}, downloaded (${m.size} GB): Squeeze loads it when it is first asked`);
      });
    return [...served, ...onDisk];
  }

  async provideLanguageModelChatResponse(
    model: vscode.LanguageModelChatInformation,
    messages: readonly vscode.LanguageModelChatRequestMessage[],
    options: vscode.ProvideLanguageModelChatResponseOptions,
    progress: vscode.Progress<vscode.LanguageModelResponsePart>,
    token: vscode.CancellationToken,
  ): Promise<void> {
    const controller = new AbortController();
    const cancelled = token.onCancellationRequested(() => controller.abort());
    try {
      for await (const event of this.client().chat(model.id, messages.flatMap(wireMessages), controller.signal, { tools: wireTools(options) })) {
        if (event.type === "text") progress.report(new vscode.LanguageModelTextPart(event.text));
        else if (event.type === "toolCall") progress.report(new vscode.LanguageModelToolCallPart(event.id, event.name, parseInput(event.arguments)));
      }
    } finally {
      cancelled.dispose();
    }
  }

  async provideTokenCount(model: vscode.LanguageModelChatInformation, text: string | vscode.LanguageModelChatRequestMessage, token: vscode.CancellationToken): Promise<number> {
    const controller = new AbortController();
    const cancelled = token.onCancellationRequested(() => controller.abort());
    try {
      const content = typeof text === "string" ? text : wireMessages(text).map((m) => m.content).join("\n");
      return await this.client().countTokens(content, controller.signal, model.id);
    } finally {
      cancelled.dispose();
    }
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** One VS Code message as OpenAI's: its text, an assistant's tool calls, and each tool result as a tool message. */
function wireMessages(message: vscode.LanguageModelChatRequestMessage): ChatRequestMessage[] {
  const parts = message.content;
  const text = parts.filter((p) => p instanceof vscode.LanguageModelTextPart).map((p) => p.value).join("");
  const calls = parts.filter((p) => p instanceof vscode.LanguageModelToolCallPart);
  const results = parts.filter((p) => p instanceof vscode.LanguageModelToolResultPart);
  if (message.role === vscode.LanguageModelChatMessageRole.Assistant) {
    return [{ role: "assistant", content: text, ...(calls.length > 0 && { tool_calls: calls.map((c) => ({ id: c.callId, type: "function" as const, function: { name: c.name, arguments: JSON.stringify(c.input) } })) }) }];
  }
  const toolMessages: ChatRequestMessage[] = results.map((r) => ({
    role: "tool",
    tool_call_id: r.callId,
    content: r.content.map((c) => (c instanceof vscode.LanguageModelTextPart ? c.value : JSON.stringify(c))).join(""),
  }));
  return [...toolMessages, ...(text || toolMessages.length === 0 ? [{ role: "user" as const, content: text }] : [])];
}

function wireTools(options: vscode.ProvideLanguageModelChatResponseOptions): ChatTools | undefined {
  if (!options.tools?.length) return undefined;
  return {
    tools: options.tools.map((t) => ({ type: "function", function: { name: t.name, description: t.description, ...(t.inputSchema !== undefined && { parameters: t.inputSchema }) } })),
    toolChoice: options.toolMode === vscode.LanguageModelChatToolMode.Required ? "required" : "auto",
  };
}

/** A call's arguments as the object VS Code's tools take; text that is not JSON goes as it is. */
function parseInput(text: string): object {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? value : { value };
  } catch {
    return { input: text };
  }
}
