// The model in use and the conversation's size against its context window, with the draft being
// typed counted in, and a plain warning when older messages are (or are about to be) left out.
import type { BudgetView } from "../../src/editor/chat/protocol";
import { el } from "./dom";

/** Share of the room before the answer's reserve at which older messages are about to be left out. */
const NEAR_FULL = 0.8;

/** "4,096": grouped the same way whatever the machine's locale. */
const count = (n: number) => n.toLocaleString("en-US");

/** The draft's size before the model counts it: about 4 characters a token. */
const draftTokens = (draft: string) => Math.ceil(draft.length / 4);

function truncationWarning(excluded: number, window: number | null): string {
  const messages = excluded === 1 ? "1 earlier message no longer fits" : `${count(excluded)} earlier messages no longer fit`;
  const where = window === null ? "the model's context window" : `the model's ${count(window)}-token context window`;
  return `${messages} in ${where} and ${excluded === 1 ? "is" : "are"} not sent. New Chat starts fresh.`;
}

function nearFullWarning(window: number): string {
  return `The conversation nearly fills the model's ${count(window)}-token context window: from here on, the oldest messages are left out. New Chat starts fresh.`;
}

export class Header {
  private readonly model = el("span", { class: "model", "data-testid": "model" });
  private readonly used = el("span", { class: "budget-text" });
  private readonly fill = el("span", { class: "meter-fill" });
  private readonly meter = el("span", { class: "meter", role: "meter", "aria-label": "Context window used", "aria-valuemin": 0 }, this.fill);
  private readonly truncation = el("p", { class: "warning", role: "status", "data-testid": "truncation", hidden: true });
  private readonly nearFull = el("p", { class: "warning near-full", role: "status", "data-testid": "near-full", hidden: true });
  readonly element = el(
    "header",
    { class: "header" },
    el("div", { class: "header-line" }, this.model, el("span", { class: "budget", "data-testid": "budget" }, this.used, this.meter)),
    this.truncation,
    this.nearFull,
  );
  private budget: BudgetView = { used: 0, window: null, reserve: 0, excluded: 0 };
  private draft = 0;

  update(model: string | null, budget: BudgetView): void {
    this.model.textContent = model ?? "No model loaded";
    this.model.title = this.model.textContent;
    this.budget = budget;
    this.draw();
  }

  setDraft(draft: string): void {
    this.draft = draftTokens(draft);
    this.draw();
  }

  private draw(): void {
    const { window, reserve, excluded } = this.budget;
    const used = this.budget.used + this.draft;
    this.used.textContent = window === null ? `${count(used)} tokens` : `${count(used)} / ${count(window)} tokens`;
    const nearFull = window !== null && excluded === 0 && used >= NEAR_FULL * (window - reserve);
    show(this.truncation, excluded > 0 ? truncationWarning(excluded, window) : undefined);
    show(this.nearFull, nearFull ? nearFullWarning(window) : undefined);

    this.meter.hidden = window === null;
    if (window === null) return;
    this.meter.setAttribute("aria-valuenow", String(used));
    this.meter.setAttribute("aria-valuemax", String(window));
    this.meter.setAttribute("aria-valuetext", this.used.textContent);
    this.meter.dataset.level = excluded > 0 ? "over" : nearFull ? "near" : "ok";
    this.fill.style.width = `${Math.min(100, (100 * used) / window)}%`;
  }
}

/** Shows a status line with `text`, or hides it; its text changes only when it says something new. */
function show(line: HTMLElement, text: string | undefined): void {
  line.hidden = text === undefined;
  if (line.textContent !== (text ?? "")) line.textContent = text ?? "";
}
