// One conversation: the user's messages with their context, the model's answers streamed from the
// local API, and what the next request sends. No vscode here: the view provider draws it, and tests
// drive it against a real server.
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { ApiRequestError, ServerUnreachableError, type ApiClient, type ChatRequestMessage } from "../apiClient";
import { fitToWindow } from "./budget";
import type { ChatHistory, StoredChip, StoredMessage } from "./chatHistory";
import { problemView, type StoredError } from "./problems";
import type { ChatSnapshot, ChipView, MessageView, ProblemView } from "./protocol";

const HEALTH_TIMEOUT_MS = 10_000;

export interface SessionDeps {
  client(): ApiClient;
  /** What the server serves, as last polled (each answer asks the server afresh). */
  served(): { model: string | null; contextSize: number | null };
  /** Why nothing can be answered now (the server's state), shown above the conversation. */
  notice(): ProblemView | undefined;
  history: ChatHistory;
  log(message: string): void;
}

interface Events {
  /** Anything but streamed text changed: the view redraws from snapshot(). */
  change: [];
  /** More text for the answer with this id. */
  append: [id: string, text: string];
}

export class ChatSession extends EventEmitter<Events> {
  private messages: StoredMessage[];
  private chips: StoredChip[] = [];
  private turn: { controller: AbortController; done: Promise<void> } | undefined;

  constructor(private readonly deps: SessionDeps) {
    super();
    const { messages, problem } = deps.history.load();
    if (problem) deps.log(problem);
    this.messages = messages;
  }

  get busy(): boolean {
    return this.turn !== undefined;
  }

  /** Sends a message with the attached context and streams the answer; ignored while one streams. */
  async send(text: string): Promise<void> {
    if (this.busy || (!text.trim() && this.chips.length === 0)) return;
    const message: StoredMessage = { id: randomUUID(), role: "user", text, chips: this.chips, state: "done", tokens: 0 };
    this.chips = [];
    this.messages.push(message);
    await this.answer(message);
  }

  /** Answers the last user message again, replacing the answer after it. */
  async regenerate(): Promise<void> {
    if (this.busy) return;
    if (this.messages.at(-1)?.role === "assistant") this.messages.pop();
    if (this.messages.at(-1)?.role !== "user") return;
    await this.answer();
  }

  /** Stops the streaming answer, keeping what it said so far. */
  async stop(): Promise<void> {
    const turn = this.turn;
    turn?.controller.abort();
    await turn?.done;
  }

  async newChat(): Promise<void> {
    await this.stop();
    this.messages = [];
    this.chips = [];
    this.changed();
    await this.deps.history.save(this.messages);
  }

  /** Attaches context to the next message. */
  async attach(chip: Omit<StoredChip, "id" | "tokens">): Promise<void> {
    const tokens = await this.count(chipContent(chip));
    this.chips.push({ ...chip, id: randomUUID(), tokens });
    this.changed();
  }

  detach(id: string): void {
    this.chips = this.chips.filter((c) => c.id !== id);
    this.changed();
  }

  snapshot(): ChatSnapshot {
    const served = this.deps.served();
    const pending = this.chips.reduce((sum, c) => sum + c.tokens, 0);
    const { excluded, used, reserve } = this.plan(served.contextSize, pending > 0 ? [pending] : []);
    const notice = this.deps.notice();
    return {
      messages: this.messages.map((m) => view(m, excluded.includes(m))),
      chips: this.chips.map(chipView),
      model: served.model,
      busy: this.busy,
      budget: { used, window: served.contextSize, reserve, excluded: excluded.length },
      ...(notice && { notice }),
    };
  }

  /**
   * What the next request sends (the messages that fit in the window, newest last) and what it
   * leaves out; `extra` are sizes of user content still to come (attached context).
   */
  private plan(window: number | null, extra: number[] = []): { sent: StoredMessage[]; excluded: StoredMessage[]; used: number; reserve: number } {
    // Failed answers without text and the answer being written are not part of the conversation the model reads.
    const candidates = this.messages.filter((m) => m.state !== "streaming" && !(m.state === "error" && !m.text));
    const tokens = [...candidates.map((m) => m.tokens), ...extra];
    const roles = [...candidates.map((m) => m.role), ...extra.map(() => "user")];
    const { first, used, reserve } = fitToWindow(tokens, roles, window);
    return { sent: candidates.slice(first), excluded: candidates.slice(0, first), used, reserve };
  }

  /** Streams an answer to the conversation so far; `question`, just sent, is counted first. */
  private async answer(question?: StoredMessage): Promise<void> {
    const controller = new AbortController();
    const reply: StoredMessage = { id: randomUUID(), role: "assistant", text: "", chips: [], state: "streaming", tokens: 0 };
    let finished!: () => void;
    this.turn = { controller, done: new Promise((resolve) => (finished = resolve)) };
    this.messages.push(reply);
    this.changed();
    try {
      // Inside the turn, so the view is busy (no second send) from the moment the message is in.
      if (question) question.tokens = await this.count(contentOf(question));
      const client = this.deps.client();
      const health = await client.health(AbortSignal.any([controller.signal, AbortSignal.timeout(HEALTH_TIMEOUT_MS)]));
      if (!health.model) throw new ApiRequestError(503, "No model is loaded: select or download one.", "model_not_loaded");
      reply.model = health.model;
      const request: ChatRequestMessage[] = this.plan(health.context_size).sent.map((m) => ({ role: m.role, content: contentOf(m) }));
      this.changed();
      for await (const event of client.chat(health.model, request, controller.signal)) {
        if (event.type === "text") {
          reply.text += event.text;
          this.emit("append", reply.id, event.text);
        } else if (event.type === "finish") reply.finishReason = event.reason;
        else if (event.type === "usage") reply.tokens = event.completionTokens;
      }
      reply.state = "done";
    } catch (err) {
      if (controller.signal.aborted) reply.state = "stopped";
      else {
        reply.state = "error";
        reply.error = storedError(err);
        this.deps.log(`chat: ${reply.error.message}`);
      }
    }
    // A stopped answer has no usage from the server.
    if (reply.text && !reply.tokens) reply.tokens = await this.count(reply.text);
    this.turn = undefined;
    this.changed();
    await this.deps.history.save(this.messages);
    finished();
  }

  /** The model's token count, or an estimate (4 characters a token) when the server cannot say. */
  private async count(text: string): Promise<number> {
    try {
      return await this.deps.client().countTokens(text);
    } catch {
      return Math.ceil(text.length / 4);
    }
  }

  private changed(): void {
    this.emit("change");
  }
}

/** What the model reads for a message: its context first, each in a fence, then the text. */
export function contentOf(message: StoredMessage): string {
  return [...message.chips.map(chipContent), message.text].filter(Boolean).join("\n\n");
}

function chipContent(chip: Pick<StoredChip, "detail" | "text" | "language">): string {
  return `${chip.detail}:\n${fenced(chip.text, chip.language)}`;
}

/** A code fence longer than any run of backticks inside the text, so the text cannot close it. */
function fenced(text: string, language: string): string {
  const longest = Math.max(0, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length));
  const fence = "`".repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${text}${text.endsWith("\n") ? "" : "\n"}${fence}`;
}

function storedError(err: unknown): StoredError {
  if (err instanceof ServerUnreachableError) return { message: `${err.message}: start the server, or check the port setting.`, code: "unreachable" };
  if (err instanceof ApiRequestError) return { message: err.message, code: err.code };
  return { message: (err as Error).message, code: null };
}

function chipView({ id, kind, label, detail, tokens }: StoredChip): ChipView {
  return { id, kind, label, detail, tokens };
}

function view(m: StoredMessage, excluded: boolean): MessageView {
  return {
    id: m.id,
    role: m.role,
    text: m.text,
    chips: m.chips.map(chipView),
    state: m.state,
    excluded,
    ...(m.model && { model: m.model }),
    ...(m.finishReason && { finishReason: m.finishReason }),
    ...(m.error && { error: problemView(m.error) }),
  };
}
