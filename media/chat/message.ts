// One message of the conversation as an <article>. Its markdown body is left empty for the
// transcript, which decides when to render it.
import type { MessageView } from "../../src/editor/chat/protocol";
import { chipList } from "./chips";
import { el, iconButton } from "./dom";
import { problemElement } from "./problem";

/** How a message ended, when that is not plainly "done". */
function ending(message: MessageView): string | undefined {
  if (message.state === "stopped") return "Stopped";
  if (message.state === "done" && message.finishReason === "length") return "Stopped at the length limit";
  return undefined;
}

/** Redraws `article` for `message` and returns its (empty) body. */
export function fillMessage(article: HTMLElement, message: MessageView, canRegenerate: boolean): HTMLElement {
  article.dataset.id = message.id;
  article.dataset.role = message.role;
  article.dataset.state = message.state;
  article.classList.toggle("excluded", message.excluded);
  // A busy region's changes are announced once it settles, not at every streamed word.
  if (message.state === "streaming") article.setAttribute("aria-busy", "true");
  else article.removeAttribute("aria-busy");

  const author = message.role === "user" ? "You" : (message.model ?? "Assistant");
  const end = ending(message);
  const body = el("div", { class: "body" });
  article.replaceChildren(
    el(
      "header",
      { class: "message-header" },
      el("span", { class: "author" }, author),
      ...(message.excluded ? [el("span", { class: "excluded-label" }, "Not sent: beyond the context window")] : []),
    ),
    ...(message.chips.length > 0 ? [chipList(message.chips, false)] : []),
    body,
    ...(end ? [el("p", { class: "ending" }, end)] : []),
    ...(message.error ? [problemElement(message.error)] : []),
    ...(canRegenerate ? [el("div", { class: "message-actions" }, iconButton("refresh", "Regenerate", { "data-action": "regenerate" }))] : []),
  );
  return body;
}
