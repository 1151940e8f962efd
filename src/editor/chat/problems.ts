// What the chat view says when an answer cannot be had, with the buttons that fix it. Errors are
// stored by their API code, so the right actions come back with a conversation after a reload.
import type { StatusView } from "../statusBar";
import type { ActionId, ActionView, ProblemView } from "./protocol";

/** A failed answer as the conversation keeps it. */
export interface StoredError {
  message: string;
  /** OpenAI's error.code, or "unreachable" when no server answered. */
  code: string | null;
}

/** Every button the view may show, with the command it runs (the chat's own actions run in the session). */
export const ACTIONS: Record<ActionId, { label: string; command?: string }> = {
  startServer: { label: "Start Server", command: "squeeze.startServer" },
  restartServer: { label: "Restart Server", command: "squeeze.restartServer" },
  selectModel: { label: "Select Model", command: "squeeze.selectModel" },
  downloadModel: { label: "Download Model", command: "squeeze.downloadModel" },
  setApiKey: { label: "Set API Key", command: "squeeze.setApiKey" },
  showLogs: { label: "Show Logs", command: "squeeze.showLogs" },
  retry: { label: "Retry" },
  newChat: { label: "New Chat" },
};

const actions = (...ids: ActionId[]): ActionView[] => ids.map((id) => ({ id, label: ACTIONS[id].label }));

/** The fixes for an error code, most likely first. */
function fixesFor(code: string | null): ActionView[] {
  switch (code) {
    case "unreachable":
      return actions("startServer", "showLogs");
    case "model_not_loaded":
    case "model_not_found":
      return actions("selectModel", "downloadModel");
    case "invalid_api_key":
      return actions("setApiKey");
    case "context_length_exceeded":
      return actions("newChat");
    case "server_stopped":
      return actions("retry", "showLogs");
    case "runtime_crashed":
    case "worker_crashed":
    case "runtime_unavailable":
      return actions("restartServer", "showLogs");
    default:
      return actions("retry", "showLogs");
  }
}

export function problemView(error: StoredError): ProblemView {
  return { message: error.message, actions: fixesFor(error.code) };
}

/** Why nothing can be answered right now, from the window's view of the server; undefined when ready. */
export function noticeFor(status: StatusView): ProblemView | undefined {
  switch (status.state) {
    case "stopped":
      return { message: "The Squeeze server is stopped.", actions: actions("startServer") };
    case "no-model":
      return { message: status.detail ?? "No model is loaded.", actions: actions("selectModel", "downloadModel") };
    case "error":
      return { message: status.detail ?? "The Squeeze server has a problem.", actions: actions("restartServer", "showLogs") };
    case "loading":
      return { message: `${status.detail ?? "Loading the model"}…`, actions: [] };
    case "restarting":
      return { message: `The Squeeze server stopped unexpectedly and is starting again: ${status.detail ?? ""}`, actions: actions("showLogs") };
    default:
      return undefined;
  }
}
