// VS Code's side of inline completions: the language switch, and the editor's cancellation token
// turned into the abort signal that stops the request (and the server's generation).
import * as vscode from "vscode";
import type { Completer } from "./completer";

/** What VS Code cycles through when the user asks for other suggestions. */
const MAX_SUGGESTIONS = 3;

export class CompletionProvider implements vscode.InlineCompletionItemProvider, vscode.Disposable {
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly completer: Completer,
    private readonly enabled: (languageId: string) => boolean,
  ) {
    // The file being left goes into the context ring, around where the user was in it; the file
    // coming in is warmed up, so its first suggestion does not evaluate the whole window.
    let previous = vscode.window.activeTextEditor;
    this.subscriptions = [
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (previous && previous.document.uri.scheme === "file") {
          const { document, selection } = previous;
          completer.ring.add(vscode.workspace.asRelativePath(document.uri), document.getText(), selection.active.line);
        }
        previous = editor;
        this.warmUp(editor);
      }),
    ];
  }

  /** Warms up the editor's file at its cursor (the active one by default), when completions are on for it. */
  warmUp(editor = vscode.window.activeTextEditor): void {
    if (!editor || editor.document.uri.scheme !== "file" || !this.enabled(editor.document.languageId)) return;
    const { document, selection } = editor;
    void this.completer.warmUp(vscode.workspace.asRelativePath(document.uri), document.getText(), document.offsetAt(selection.active));
  }

  dispose(): void {
    for (const s of this.subscriptions) s.dispose();
  }

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    if (!this.enabled(document.languageId)) return undefined;
    const abort = new AbortController();
    const cancel = token.onCancellationRequested(() => abort.abort());
    const file = vscode.workspace.asRelativePath(document.uri);
    const text = document.getText();
    const offset = document.offsetAt(position);
    // Asked for by key, or for the next suggestion (VS Code asks again before cycling): the user
    // waits for it, so no debounce, and alternatives besides the first.
    const invoked = context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke;
    try {
      const [first, others] = await Promise.all([
        this.completer.complete(file, text, offset, abort.signal, { invoked }),
        invoked ? this.completer.alternatives(file, text, offset, abort.signal) : [],
      ]);
      if (!first) return undefined;
      const texts = [...new Set([first.text, ...others])].slice(0, MAX_SUGGESTIONS);
      return texts.map((t) => new vscode.InlineCompletionItem(t, new vscode.Range(position, position)));
    } finally {
      cancel.dispose();
    }
  }
}
