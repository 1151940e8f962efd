// Edits proposed to a file are reviewed as a diff before they touch it: "Edit with Instruction"
// streams the chat model's rewrite into the diff's right side, and the chat view's "Apply" shows a
// code block there. The user accepts the whole (one undoable edit of the file), rejects it (the
// file never changed), or takes part of it: the diff editor's own arrows revert single hunks of the
// proposal, and the proposal can be edited, before accepting.
import * as vscode from "vscode";
import type { ApiClient } from "../apiClient";
import { editTarget } from "./editTarget";
import { PROPOSAL_SCHEME, Proposals } from "./proposals";
import { codeOf, endLike, rewriteMessages, rewriteTokenBudget } from "./rewritePrompt";
import { difference } from "./textDifference";

/** Set while a rewrite streams in, so the diff's Accept waits for the whole answer. */
const STREAMING_KEY = "squeeze.editStreaming";
/** The streamed rewrite reaches the diff at most this often: every token would redraw it. */
const UPDATE_MS = 50;

interface Pending {
  document: vscode.TextDocument;
  /** The document's version the proposal was made from. */
  version: number;
  proposal: vscode.Uri;
  streaming: AbortController | undefined;
}

export class EditReview implements vscode.Disposable {
  private readonly proposals = new Proposals();
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly client: () => ApiClient,
    private readonly chatModel: () => string | undefined,
  ) {}

  /** Rewrites the selection (or the function or line at the cursor) as `instruction` says, into a diff to review. */
  async editByInstruction(editor: vscode.TextEditor, instruction: string): Promise<void> {
    const model = this.chatModel();
    if (!model) throw new Error("no chat model is loaded: select one with \"Squeeze: Select Model\"");
    const { document } = editor;
    const range = await editTarget(editor);
    const text = document.getText();
    const start = document.offsetAt(range.start);
    const end = document.offsetAt(range.end);
    const code = text.slice(start, end);
    const compose = (rewrite: string) => text.slice(0, start) + rewrite + text.slice(end);
    const messages = rewriteMessages({
      instruction,
      language: document.languageId,
      filename: vscode.workspace.asRelativePath(document.uri),
      before: text.slice(0, start),
      code,
      after: text.slice(end),
    });

    const abort = new AbortController();
    const pending = await this.open(document, text, `Squeeze's edit: ${instruction}`, abort);
    let answer = "";
    try {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: "Squeeze is rewriting the code…", cancellable: true }, async (_progress, token) => {
        token.onCancellationRequested(() => abort.abort());
        let shown = 0;
        for await (const event of this.client().chat(model, messages, abort.signal, { maxTokens: rewriteTokenBudget(code) })) {
          if (event.type !== "text") continue;
          answer += event.text;
          // Leaving the loop closes the stream, and the server stops generating.
          if (codeOf(answer).complete) break;
          if (performance.now() - shown < UPDATE_MS) continue;
          shown = performance.now();
          this.proposals.update(pending.proposal, compose(codeOf(answer).code), true);
        }
      });
    } catch (err) {
      await this.close(pending);
      if (abort.signal.aborted) return;
      throw err;
    }
    pending.streaming = undefined;
    this.proposals.update(pending.proposal, compose(endLike(codeOf(answer).code, code)), false);
    await this.updateStreamingKey();
  }

  /** Shows `code` replacing the selection (or inserted at the cursor) as a diff to review. */
  async proposeCode(editor: vscode.TextEditor, code: string): Promise<void> {
    const { document, selection } = editor;
    const text = document.getText();
    const proposed = text.slice(0, document.offsetAt(selection.start)) + code + text.slice(document.offsetAt(selection.end));
    await this.open(document, proposed, "code from Squeeze's chat", undefined);
  }

  /** Applies the proposal (the one `uri` names, else the one in front of the user) to its file, as one undoable edit. */
  async accept(uri?: vscode.Uri): Promise<boolean> {
    const pending = this.find(uri);
    if (!pending || pending.streaming) return false;
    const { document } = pending;
    if (document.version !== pending.version) {
      const choice = await vscode.window.showWarningMessage(
        `${vscode.workspace.asRelativePath(document.uri)} changed since the edit was proposed. Apply the proposal anyway? It replaces the part of the file that differs from it.`,
        { modal: true },
        "Apply",
      );
      if (choice !== "Apply") return false;
    }
    const proposed = (await vscode.workspace.openTextDocument(pending.proposal)).getText();
    const edit = new vscode.WorkspaceEdit();
    const { from, to, replacement } = difference(document.getText(), proposed);
    edit.replace(document.uri, new vscode.Range(document.positionAt(from), document.positionAt(to)), replacement);
    const applied = await vscode.workspace.applyEdit(edit);
    await this.close(pending);
    return applied;
  }

  /** Drops the proposal (the one `uri` names, else the one in front of the user); its file stays as it is. */
  async reject(uri?: vscode.Uri): Promise<boolean> {
    const pending = this.find(uri);
    if (!pending) return false;
    pending.streaming?.abort();
    await this.close(pending);
    return true;
  }

  dispose(): void {
    for (const pending of this.pending.values()) pending.streaming?.abort();
    this.proposals.dispose();
  }

  /** Opens the diff of `document` against a new proposal holding `proposed` (read-only while `streaming`). */
  private async open(document: vscode.TextDocument, proposed: string, title: string, streaming: AbortController | undefined): Promise<Pending> {
    const proposal = this.proposals.create(document.uri, proposed, streaming !== undefined);
    const pending: Pending = { document, version: document.version, proposal, streaming };
    this.pending.set(proposal.toString(), pending);
    await this.updateStreamingKey();
    const name = vscode.workspace.asRelativePath(document.uri);
    await vscode.commands.executeCommand("vscode.diff", document.uri, proposal, `${name} ↔ ${title}`, { preview: false });
    return pending;
  }

  /**
   * Ends the review: the file comes to the front first and then the diff closes, so that once the
   * diff is gone nothing moves the focus any more (a palette opened then stays open).
   */
  private async close(pending: Pending): Promise<void> {
    this.pending.delete(pending.proposal.toString());
    await vscode.window.showTextDocument(pending.document);
    await this.updateStreamingKey();
    // A proposal the user edited would ask whether to save it: its changes are taken, or not wanted.
    const proposal = vscode.workspace.textDocuments.find((d) => d.uri.toString() === pending.proposal.toString());
    if (proposal?.isDirty) await proposal.save();
    const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter((t) => t.input instanceof vscode.TabInputTextDiff && t.input.modified.toString() === pending.proposal.toString());
    await vscode.window.tabGroups.close(tabs);
    this.proposals.remove(pending.proposal);
  }

  private find(uri: vscode.Uri | undefined): Pending | undefined {
    const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
    const shown = input instanceof vscode.TabInputTextDiff && input.modified.scheme === PROPOSAL_SCHEME ? input.modified : undefined;
    const key = (uri?.scheme === PROPOSAL_SCHEME ? uri : shown)?.toString();
    return key ? this.pending.get(key) : [...this.pending.values()].at(-1);
  }

  private async updateStreamingKey(): Promise<void> {
    const streaming = [...this.pending.values()].some((p) => p.streaming);
    await vscode.commands.executeCommand("setContext", STREAMING_KEY, streaming);
  }
}
