// A problem (a failed answer, or why nothing can be answered now) with the buttons that fix it.
// The buttons carry their action id; the view's one click listener posts it.
import type { ProblemView } from "../../src/editor/chat/protocol";
import { button, el } from "./dom";

export function problemElement(problem: ProblemView): HTMLElement {
  return el(
    "div",
    { class: "problem", role: "alert" },
    el("p", { class: "problem-message" }, problem.message),
    el("div", { class: "actions" }, ...problem.actions.map((action) => button(action.label, { "data-action-id": action.id }))),
  );
}
