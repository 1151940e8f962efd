// The conversation: one <article> a message, kept across snapshots. Rendering markdown is the
// costly part, so a message's body is rendered again only when its text or state changed, and a
// streaming answer at most once a frame, without highlighting until it ends.
import type { ChatSnapshot, MessageView } from "../../src/editor/chat/protocol";
import { el } from "./dom";
import { fillMessage } from "./message";
import { renderMarkdown } from "./render";

/** How close to the end (in pixels) still counts as reading the end. */
const NEAR_BOTTOM_PX = 24;

interface Entry {
  article: HTMLElement;
  body: HTMLElement;
  view: MessageView;
  /** Everything drawn from but the text, to tell whether the article must be redrawn. */
  shape: string;
  /** The code blocks' text as last rendered; the Copy and Insert buttons refer to it by index. */
  code: string[];
}

export class Transcript {
  private readonly empty = el(
    "p",
    { class: "empty", "data-testid": "empty" },
    "Ask about your code: Enter sends, Shift+Enter starts a new line. Add Selection or Add File attaches context. Answers come from the model running on this machine.",
  );
  private readonly log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": "Conversation" });
  /** The scrolling part of the view. */
  readonly element = el("main", { class: "transcript" }, this.empty, this.log);
  private readonly entries = new Map<string, Entry>();
  /** Streaming answers with text not rendered yet. */
  private readonly stale = new Set<Entry>();
  private frame: number | undefined;
  /** Whether the user reads the end: then the view follows what is added, and stays put otherwise. */
  private pinned = true;

  constructor() {
    this.element.addEventListener("scroll", () => {
      const { scrollTop, scrollHeight, clientHeight } = this.element;
      this.pinned = scrollHeight - scrollTop - clientHeight <= NEAR_BOTTOM_PX;
    });
    // The header and the composer grow and shrink too.
    new ResizeObserver(() => this.keepPinned()).observe(this.element);
  }

  update(snapshot: ChatSnapshot): void {
    const last = snapshot.messages.at(-1);
    const entries = snapshot.messages.map((view) => {
      const canRegenerate = view === last && view.role === "assistant" && !snapshot.busy;
      return this.draw(view, canRegenerate);
    });
    const shown = new Set(entries);
    for (const [id, entry] of this.entries) {
      if (!shown.has(entry)) {
        this.entries.delete(id);
        this.stale.delete(entry);
      }
    }
    this.order(entries.map((entry) => entry.article));
    this.empty.hidden = entries.length > 0;
    this.keepPinned();
  }

  /** More text for a streaming answer, drawn at the next frame. */
  append(id: string, text: string): void {
    const entry = this.entries.get(id);
    if (entry?.view.state !== "streaming") return;
    entry.view = { ...entry.view, text: entry.view.text + text };
    this.stale.add(entry);
    this.frame ??= requestAnimationFrame(() => {
      this.frame = undefined;
      for (const entry of this.stale) this.renderBody(entry);
      this.keepPinned();
    });
  }

  /** The user just sent a message: follow the conversation, wherever they had scrolled. */
  follow(): void {
    this.pinned = true;
  }

  /** The code a code block's Copy or Insert button stands for. */
  codeOf(button: HTMLElement): string | undefined {
    const id = button.closest("article")?.dataset.id;
    const entry = id === undefined ? undefined : this.entries.get(id);
    return entry?.code[Number(button.dataset.code)];
  }

  /** The entry for `view`: its article redrawn if anything but the text changed, its body if anything did. */
  private draw(view: MessageView, canRegenerate: boolean): Entry {
    const shape = JSON.stringify({ ...view, text: undefined, canRegenerate });
    let entry = this.entries.get(view.id);
    if (!entry) {
      entry = { article: el("article", { class: "message" }), body: el("div"), view, shape: "", code: [] };
      this.entries.set(view.id, entry);
    } else if (entry.shape === shape && entry.view.text === view.text) {
      return entry;
    }
    if (entry.shape !== shape) {
      entry.body = fillMessage(entry.article, view, canRegenerate);
      entry.shape = shape;
    }
    entry.view = view;
    this.renderBody(entry);
    return entry;
  }

  private renderBody(entry: Entry): void {
    this.stale.delete(entry);
    const streaming = entry.view.state === "streaming";
    const { html, code } = renderMarkdown(entry.view.text, { highlight: !streaming });
    // The one place HTML goes in: markdown-it's output, with raw HTML in the text escaped.
    entry.body.innerHTML = html;
    entry.code = code;
    // The code of an answer still being written may change.
    for (const button of entry.body.querySelectorAll<HTMLButtonElement>(".code-action")) button.disabled = streaming;
  }

  /** Puts the articles in order, moving only those out of place (a moved node loses focus and scroll). */
  private order(articles: HTMLElement[]): void {
    let next = this.log.firstElementChild;
    for (const article of articles) {
      if (article === next) next = next.nextElementSibling;
      else this.log.insertBefore(article, next);
    }
    while (next) {
      const after = next.nextElementSibling;
      next.remove();
      next = after;
    }
  }

  private keepPinned(): void {
    if (this.pinned) this.element.scrollTop = this.element.scrollHeight;
  }
}
