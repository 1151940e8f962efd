// The messages between the chat view's webview (media/chat) and the extension host (src/editor/chat).
// Types only, with no imports: the webview bundle takes nothing else from the extension.
//
// The extension host owns the conversation (it streams from the server and keeps the history);
// the webview only draws it. On start the webview says "ready" and gets a whole snapshot; while an
// answer streams it gets "append" deltas, and a new snapshot on every change of state.

export type Role = "user" | "assistant";

/** A user message is always "done"; an assistant message streams, then ends in one of the others. */
export type MessageState = "streaming" | "done" | "stopped" | "error";

/** Context attached to a message: the editor's selection or a whole file. */
export interface ChipView {
  id: string;
  kind: "selection" | "file";
  /** Short, e.g. "app.js:3-9" or "app.js". */
  label: string;
  /** Longer, for the tooltip: the workspace-relative path and the range. */
  detail: string;
  tokens: number;
}

/** What the extension host may run for a button in the view; nothing else is accepted. */
export type ActionId =
  | "startServer"
  | "restartServer"
  | "selectModel"
  | "downloadModel"
  | "setApiKey"
  | "showLogs"
  | "retry"
  | "newChat";

export interface ActionView {
  id: ActionId;
  label: string;
}

export interface ProblemView {
  message: string;
  /** The actions that fix it, most likely first. */
  actions: ActionView[];
}

export interface MessageView {
  id: string;
  role: Role;
  /** Markdown. */
  text: string;
  chips: ChipView[];
  state: MessageState;
  /** Beyond the context window: kept on screen, no longer sent to the model. */
  excluded: boolean;
  /** The model that answered (assistant messages). */
  model?: string;
  /** OpenAI's finish_reason when the answer ended by itself ("stop", "length"). */
  finishReason?: string;
  error?: ProblemView;
}

/** The conversation's size against the model's context window. */
export interface BudgetView {
  /** Tokens the next request sends (history that fits, plus the attached chips), before the draft. */
  used: number;
  /** The model's context window; null when no model is loaded. */
  window: number | null;
  /** Tokens kept free for the answer. */
  reserve: number;
  /** Older messages left out of the next request. */
  excluded: number;
}

export interface ChatSnapshot {
  messages: MessageView[];
  /** Context attached to the next message. */
  chips: ChipView[];
  /** The model the server has loaded, or null. */
  model: string | null;
  /** An answer is streaming. */
  busy: boolean;
  budget: BudgetView;
  /** Why a message cannot be answered now (no server, no model), with the fixes. */
  notice?: ProblemView;
}

export type ToWebview =
  | { type: "snapshot"; snapshot: ChatSnapshot }
  /** More text for a streaming message. */
  | { type: "append"; id: string; text: string }
  /** Put the keyboard focus in the message box (Squeeze: Open Chat). */
  | { type: "focus" };

export type FromWebview =
  | { type: "ready" }
  | { type: "send"; text: string }
  | { type: "stop" }
  | { type: "regenerate" }
  | { type: "newChat" }
  | { type: "addContext"; kind: "selection" | "file" }
  | { type: "removeChip"; id: string }
  | { type: "copy"; code: string }
  | { type: "insert"; code: string }
  | { type: "apply"; code: string }
  /** A link in a message was clicked: opened only when it is a web link. */
  | { type: "openLink"; url: string }
  | { type: "action"; id: ActionId };
