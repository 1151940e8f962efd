// VS Code's side of inline completions: the language switch, and the editor's cancellation token
// turned into the abort signal that stops the request (and the server's generation).
import * as vscode from "vscode";
import type { Completer } from "./completer";

export class CompletionProvider implements vscode.InlineCompletionItemProvider {
  constructor(
    private readonly completer: Completer,
    private readonly enabled: (languageId: string) => boolean,
  ) {}

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    _context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    if (!this.enabled(document.languageId)) return undefined;
    const abort = new AbortController();
    const cancel = token.onCancellationRequested(() => abort.abort());
    try {
      const suggestion = await this.completer.complete(document.getText(), document.offsetAt(position), abort.signal);
      return suggestion ? [new vscode.InlineCompletionItem(suggestion.text, new vscode.Range(position, position))] : undefined;
    } finally {
      cancel.dispose();
    }
  }
}
