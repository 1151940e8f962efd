// Why nothing can be answered now (no server, no model), above the conversation.
import type { ProblemView } from "../../src/editor/chat/protocol";
import { el } from "./dom";
import { problemElement } from "./problem";

export class Notice {
  readonly element = el("div", { class: "notice", "data-testid": "notice", hidden: true });
  private shown = "";

  update(notice: ProblemView | undefined): void {
    // Redrawn only when it changes: a new alert is read out again.
    const key = notice ? JSON.stringify(notice) : "";
    if (key === this.shown) return;
    this.shown = key;
    this.element.hidden = !notice;
    this.element.replaceChildren(...(notice ? [problemElement(notice)] : []));
  }
}
