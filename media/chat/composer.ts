// The message box at the bottom, with the context waiting to be sent and the buttons. The buttons
// only say what they do (data-action); the view's click listener acts on them.
import type { ChipView } from "../../src/editor/chat/protocol";
import { chipList } from "./chips";
import { el, iconButton } from "./dom";

export interface ComposerEvents {
  send(text: string): void;
  stop(): void;
  draftChanged(draft: string): void;
}

export class Composer {
  private readonly pending = el("div", { class: "pending" });
  private readonly input = el("textarea", {
    class: "input",
    "aria-label": "Message",
    rows: 1,
    placeholder: "Ask about your code",
  });
  private readonly sendButton = iconButton("send", "Send", { class: "primary", "data-action": "send" });
  private readonly stopButton = iconButton("debug-stop", "Stop", { class: "primary", "data-action": "stop", hidden: true });
  readonly element = el(
    "footer",
    { class: "composer" },
    this.pending,
    this.input,
    // Two groups, so that in a narrow view Send wraps with New Chat to the right, not alone.
    el(
      "div",
      { class: "composer-bar" },
      el(
        "div",
        { class: "group" },
        iconButton("selection", "Add Selection", { "data-action": "addSelection" }),
        iconButton("file-add", "Add File", { "data-action": "addFile" }),
      ),
      el(
        "div",
        { class: "group end" },
        iconButton("add", "New chat", { "data-action": "newChat" }),
        this.sendButton,
        this.stopButton,
      ),
    ),
  );
  private busy = false;
  private hasChips = false;
  private shownChips = "[]";

  constructor(
    draft: string,
    private readonly events: ComposerEvents,
  ) {
    this.input.value = draft;
    this.input.addEventListener("input", () => this.changed());
    this.input.addEventListener("keydown", (event) => this.keydown(event));
    // Sized once the view has laid it out.
    requestAnimationFrame(() => this.grow());
  }

  update(chips: ChipView[], busy: boolean): void {
    const key = JSON.stringify(chips);
    if (key !== this.shownChips) {
      this.shownChips = key;
      // A removed chip takes the focus with it: give it to the message box.
      const hadFocus = this.pending.contains(document.activeElement);
      this.pending.replaceChildren(...(chips.length > 0 ? [chipList(chips, true)] : []));
      if (hadFocus) this.input.focus();
    }
    this.hasChips = chips.length > 0;

    const focused = document.activeElement;
    this.busy = busy;
    this.sendButton.hidden = busy;
    this.stopButton.hidden = !busy;
    // Send turns into Stop under the keyboard's focus, and back.
    if (focused === this.sendButton || focused === this.stopButton) (busy ? this.stopButton : this.sendButton).focus();
  }

  /** Sends the draft, unless an answer is streaming or there is nothing to send. */
  send(): void {
    const text = this.input.value;
    if (this.busy || (!text.trim() && !this.hasChips)) return;
    this.events.send(text);
    this.input.value = "";
    this.changed();
  }

  focus(): void {
    this.input.focus();
  }

  private keydown(event: KeyboardEvent): void {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      this.send();
    } else if (event.key === "Escape" && this.busy) {
      event.preventDefault();
      this.events.stop();
    }
  }

  private changed(): void {
    this.grow();
    this.events.draftChanged(this.input.value);
  }

  /** Fits the box to its text, up to the CSS max-height, past which it scrolls. */
  private grow(): void {
    this.input.style.height = "auto";
    this.input.style.height = `${this.input.scrollHeight + this.input.offsetHeight - this.input.clientHeight}px`;
  }
}
