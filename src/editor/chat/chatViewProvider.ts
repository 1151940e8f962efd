// The chat sidebar: a WebviewView drawing a ChatSession. The conversation lives here, in the
// extension host, not in the webview: the view can be hidden, closed or reloaded at any time and
// gets the whole conversation back when it says it is ready.
import { randomBytes } from "node:crypto";
import * as vscode from "vscode";
import { z } from "zod";
import { contextFromEditor, insertAtCursor } from "./chatContext";
import type { ChatSession } from "./chatSession";
import type { EditReview } from "../edit/editReview";
import { ACTIONS } from "./problems";
import type { ActionId, ChatSnapshot, FromWebview, ToWebview } from "./protocol";

export const CHAT_VIEW_ID = "squeeze.chat";

/** Streamed text is sent to the view in batches: every token would be one message through the workbench. */
const APPEND_BATCH_MS = 30;

const fromWebview: z.ZodType<FromWebview> = z.discriminatedUnion("type", [
  z.object({ type: z.literal("ready") }),
  z.object({ type: z.literal("send"), text: z.string().max(1_000_000) }),
  z.object({ type: z.literal("stop") }),
  z.object({ type: z.literal("regenerate") }),
  z.object({ type: z.literal("newChat") }),
  z.object({ type: z.literal("addContext"), kind: z.enum(["selection", "file"]) }),
  z.object({ type: z.literal("removeChip"), id: z.string() }),
  z.object({ type: z.literal("copy"), code: z.string() }),
  z.object({ type: z.literal("insert"), code: z.string() }),
  z.object({ type: z.literal("apply"), code: z.string() }),
  z.object({ type: z.literal("openLink"), url: z.string().max(8192) }),
  z.object({ type: z.literal("action"), id: z.enum(Object.keys(ACTIONS) as [ActionId, ...ActionId[]]) }),
]);

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private focusWhenReady = false;
  private pending = new Map<string, string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** The server's part of the last snapshot, so polls that change nothing send nothing. */
  private servedKey = "";

  constructor(
    private readonly extensionUri: vscode.Uri,
    readonly session: ChatSession,
    private readonly edits: EditReview,
    private readonly log: vscode.LogOutputChannel,
  ) {
    session.on("change", () => this.postSnapshot());
    session.on("append", (id, text) => this.queueAppend(id, text));
    this.disposables.push(vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, this));
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const media = vscode.Uri.joinPath(this.extensionUri, "dist", "webview");
    view.webview.options = { enableScripts: true, localResourceRoots: [media] };
    view.webview.html = html(view.webview, media);
    view.webview.onDidReceiveMessage((message: unknown) => void this.receive(message));
    view.onDidDispose(() => {
      if (this.view === view) this.view = undefined;
    });
  }

  /** Shows the view and puts the cursor in its message box. */
  async reveal(): Promise<void> {
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    if (this.ready) this.post({ type: "focus" });
    else this.focusWhenReady = true;
  }

  /** The server's state changed: the model, the window or the notice may have too. */
  refresh(): void {
    const snapshot = this.session.snapshot();
    if (servedKey(snapshot) !== this.servedKey) this.postSnapshot(snapshot);
  }

  async addContext(kind: "selection" | "file"): Promise<void> {
    const chip = contextFromEditor(kind);
    if (typeof chip === "string") void vscode.window.showInformationMessage(`Squeeze: ${chip}`);
    else await this.session.attach(chip);
  }

  dispose(): void {
    clearTimeout(this.flushTimer);
    for (const d of this.disposables) d.dispose();
  }

  private async receive(raw: unknown): Promise<void> {
    const parsed = fromWebview.safeParse(raw);
    if (!parsed.success) return this.log.warn(`chat view: ignored a malformed message (${parsed.error.issues[0]?.message})`);
    const message = parsed.data;
    switch (message.type) {
      case "ready":
        this.ready = true;
        this.postSnapshot();
        if (this.focusWhenReady) this.post({ type: "focus" });
        this.focusWhenReady = false;
        return;
      case "send":
        return this.session.send(message.text);
      case "stop":
        return this.session.stop();
      case "regenerate":
        return this.session.regenerate();
      case "newChat":
        return this.session.newChat();
      case "addContext":
        return this.addContext(message.kind);
      case "removeChip":
        return this.session.detach(message.id);
      case "copy":
        await vscode.env.clipboard.writeText(message.code);
        vscode.window.setStatusBarMessage("Squeeze: code copied", 2000);
        return;
      case "insert":
        if (!(await insertAtCursor(message.code))) void vscode.window.showInformationMessage("Squeeze: open a file to insert the code into.");
        return;
      case "apply": {
        // Into a diff to review, never straight into the file.
        const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === "file");
        if (!editor) return void vscode.window.showInformationMessage("Squeeze: open a file to apply the code to.");
        return this.edits.proposeCode(editor, message.code);
      }
      case "openLink":
        return void (await openWebLink(message.url, this.log));
      case "action":
        if (message.id === "retry") return this.session.regenerate();
        if (message.id === "newChat") return this.session.newChat();
        // Only the listed commands: the view can ask for nothing else.
        await vscode.commands.executeCommand(ACTIONS[message.id].command!);
        return;
    }
  }

  private postSnapshot(snapshot = this.session.snapshot()): void {
    // The snapshot holds all text so far: appends still waiting would repeat it.
    this.pending.clear();
    this.servedKey = servedKey(snapshot);
    this.post({ type: "snapshot", snapshot });
  }

  private queueAppend(id: string, text: string): void {
    this.pending.set(id, (this.pending.get(id) ?? "") + text);
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = undefined;
      for (const [messageId, batch] of this.pending) this.post({ type: "append", id: messageId, text: batch });
      this.pending.clear();
    }, APPEND_BATCH_MS);
  }

  private post(message: ToWebview): void {
    // A view that is not up yet asks for a snapshot when it is.
    if (this.view && this.ready) void this.view.webview.postMessage(message);
  }
}

function servedKey({ model, budget, notice }: ChatSnapshot): string {
  return JSON.stringify([model, budget.window, notice]);
}

function html(webview: vscode.Webview, media: vscode.Uri): string {
  const nonce = randomBytes(16).toString("base64");
  const asset = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(media, file)).toString();
  // Nothing remote and nothing inline: scripts only with this render's nonce, styles only from the extension.
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `style-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join("; ");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp};">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link href="${asset("chat.css")}" rel="stylesheet">
<title>Squeeze Chat</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${asset("chat.js")}"></script>
</body>
</html>`;
}

/**
 * Opens a link from a message in the browser, after VS Code's own confirmation for the site. Model
 * output is untrusted: command:, vscode: and every other scheme could act inside the editor.
 */
async function openWebLink(url: string, log: vscode.LogOutputChannel): Promise<boolean> {
  const uri = vscode.Uri.parse(url, true);
  if (uri.scheme !== "http" && uri.scheme !== "https") {
    log.warn(`chat view: did not open a ${uri.scheme}: link`);
    return false;
  }
  return vscode.env.openExternal(uri);
}
