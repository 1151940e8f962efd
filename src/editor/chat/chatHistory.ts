// The conversation kept per workspace (VS Code's workspaceState), so it comes back after a reload.
// What is read back is checked: an older or damaged entry starts a fresh chat instead of breaking
// the view.
import { z } from "zod";

/** The part of vscode.Memento the history uses; tests pass a Map-backed one. */
export interface StateStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): PromiseLike<void>;
}

const chip = z.object({
  id: z.string(),
  kind: z.enum(["selection", "file"]),
  label: z.string(),
  detail: z.string(),
  tokens: z.number(),
  /** The context itself, sent with the message. */
  text: z.string(),
  language: z.string(),
});

const message = z.object({
  id: z.string(),
  role: z.enum(["user", "assistant"]),
  text: z.string(),
  chips: z.array(chip),
  state: z.enum(["streaming", "done", "stopped", "error"]),
  /** The message's size in the model's tokens, chips included, template not. */
  tokens: z.number(),
  model: z.string().optional(),
  finishReason: z.string().optional(),
  error: z.object({ message: z.string(), code: z.string().nullable() }).optional(),
});

export type StoredChip = z.infer<typeof chip>;
export type StoredMessage = z.infer<typeof message>;

const KEY = "squeeze.chat.v1";
/** workspaceState is one small database, not a file store: the oldest messages go past these. */
const MAX_MESSAGES = 200;
const MAX_CHARS = 1_000_000;

export class ChatHistory {
  constructor(private readonly store: StateStore) {}

  /** The saved conversation; an answer that was streaming when the window closed counts as stopped. */
  load(): { messages: StoredMessage[]; problem?: string } {
    const saved = this.store.get<unknown>(KEY);
    if (saved === undefined) return { messages: [] };
    const parsed = z.object({ messages: z.array(message) }).safeParse(saved);
    if (!parsed.success) return { messages: [], problem: `the saved chat could not be read (${parsed.error.issues[0]?.message}); starting a new one` };
    return { messages: parsed.data.messages.map((m) => (m.state === "streaming" ? { ...m, state: "stopped" } : m)) };
  }

  save(messages: readonly StoredMessage[]): PromiseLike<void> {
    let kept = messages.slice(-MAX_MESSAGES);
    let chars = kept.reduce((sum, m) => sum + size(m), 0);
    while (chars > MAX_CHARS && kept.length > 1) {
      chars -= size(kept[0]!);
      kept = kept.slice(1);
    }
    return this.store.update(KEY, { messages: kept });
  }
}

function size(m: StoredMessage): number {
  return m.text.length + m.chips.reduce((sum, c) => sum + c.text.length, 0);
}
