// Responses kept in the server's memory for `previous_response_id` and GET /v1/responses/{id}:
// each with its conversation (the input before it and its own output, without instructions,
// which OpenAI does not carry over). Bounded by count and by the conversations' text, oldest out
// first; gone when the server stops, which is said when an id is not found.
import type { ChatMessage } from "../../../protocol/types";

export interface StoredResponse {
  /** The response object as it was answered. */
  response: Record<string, unknown>;
  conversation: ChatMessage[];
}

const MAX_RESPONSES = 256;
/** Characters of conversation text kept over all responses (a long chat is kept once per turn). */
const MAX_TEXT = 32 * 1024 * 1024;

const textOf = (conversation: ChatMessage[]) => conversation.reduce((n, m) => n + m.content.length + (m.toolCalls?.reduce((k, c) => k + c.arguments.length, 0) ?? 0), 0);

export class ResponseStore {
  private readonly entries = new Map<string, StoredResponse & { size: number }>();
  private text = 0;

  constructor(private readonly limits = { responses: MAX_RESPONSES, text: MAX_TEXT }) {}

  get(id: string): StoredResponse | undefined {
    return this.entries.get(id);
  }

  put(id: string, entry: StoredResponse): void {
    const size = textOf(entry.conversation);
    this.delete(id);
    this.entries.set(id, { ...entry, size });
    this.text += size;
    for (const [oldest] of this.entries) {
      if (this.entries.size <= this.limits.responses && this.text <= this.limits.text) break;
      this.delete(oldest);
    }
  }

  delete(id: string): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.text -= entry.size;
    return this.entries.delete(id);
  }
}
