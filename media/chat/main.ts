// The chat view's webview: draws the snapshots the extension host sends (src/editor/chat/protocol.ts)
// and posts back what the user does. The host owns the conversation; only the draft lives here.
import type { ActionId, FromWebview, ToWebview } from "../../src/editor/chat/protocol";
import "@vscode/codicons/dist/codicon.css";
import "./chat.css";
import { Composer } from "./composer";
import { Header } from "./header";
import { Notice } from "./notice";
import { Transcript } from "./transcript";

interface State {
  /** The message being typed, kept while the view is hidden or reloaded. */
  draft: string;
}

const vscode = acquireVsCodeApi<State>();
const post = (message: FromWebview) => vscode.postMessage(message);

const draft = vscode.getState()?.draft ?? "";
const header = new Header();
const notice = new Notice();
const transcript = new Transcript();
const composer = new Composer(draft, {
  send(text) {
    transcript.follow();
    post({ type: "send", text });
  },
  stop: () => post({ type: "stop" }),
  draftChanged(text) {
    vscode.setState({ draft: text });
    header.setDraft(text);
  },
});
header.setDraft(draft);

const app = document.getElementById("app")!;
app.append(header.element, notice.element, transcript.element, composer.element);

/** What a button asks for, from its data-action or data-action-id. */
function messageOf(button: HTMLButtonElement): FromWebview | undefined {
  const { action, actionId, chipId } = button.dataset;
  if (actionId) return { type: "action", id: actionId as ActionId };
  switch (action) {
    case "copy":
    case "insert":
    case "apply": {
      const code = transcript.codeOf(button);
      return code === undefined ? undefined : { type: action, code };
    }
    case "regenerate":
    case "stop":
    case "newChat":
      return { type: action };
    case "addSelection":
      return { type: "addContext", kind: "selection" };
    case "addFile":
      return { type: "addContext", kind: "file" };
    case "removeChip":
      return chipId ? { type: "removeChip", id: chipId } : undefined;
    default:
      return undefined;
  }
}

// One listener for every button, including those redrawn with each message.
app.addEventListener("click", (event) => {
  // Links go to the extension, which opens web links only; the webview itself opens none.
  const link = (event.target as Element).closest("a");
  if (link) {
    event.preventDefault();
    event.stopPropagation();
    return post({ type: "openLink", url: link.href });
  }
  const button = (event.target as Element).closest("button");
  if (!button || button.disabled) return;
  if (button.dataset.action === "send") return composer.send();
  const message = messageOf(button);
  if (message) post(message);
});

window.addEventListener("message", (event: MessageEvent<ToWebview>) => {
  const message = event.data;
  switch (message.type) {
    case "snapshot": {
      const { snapshot } = message;
      header.update(snapshot.model, snapshot.budget);
      notice.update(snapshot.notice);
      transcript.update(snapshot);
      composer.update(snapshot.chips, snapshot.busy);
      return;
    }
    case "append":
      return transcript.append(message.id, message.text);
    case "focus":
      return composer.focus();
  }
});

post({ type: "ready" });
