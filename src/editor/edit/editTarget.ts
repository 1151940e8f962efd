// What an edit rewrites: the selection, or with nothing selected the innermost function or method
// around the cursor (from the language's own symbols), else the cursor's line.
import * as vscode from "vscode";

const CODE_BLOCKS = new Set([vscode.SymbolKind.Function, vscode.SymbolKind.Method, vscode.SymbolKind.Constructor, vscode.SymbolKind.Class]);

export async function editTarget(editor: vscode.TextEditor): Promise<vscode.Range> {
  const { document, selection } = editor;
  if (!selection.isEmpty) return new vscode.Range(selection.start, selection.end);
  const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[] | undefined>("vscode.executeDocumentSymbolProvider", document.uri).then(
    (found) => found ?? [],
    () => [],
  );
  const around = innermost(symbols, selection.active);
  const line = document.lineAt(selection.active.line);
  // Whole lines, with the line break, so the rewrite replaces lines as the user sees them.
  const range = around?.range ?? line.range;
  return new vscode.Range(range.start.line, 0, range.end.line + 1, 0);
}

function innermost(symbols: vscode.DocumentSymbol[], position: vscode.Position): vscode.DocumentSymbol | undefined {
  for (const symbol of symbols) {
    // Results can also be SymbolInformation, which has no children and no range of its own.
    if (!("range" in symbol) || !symbol.range.contains(position)) continue;
    const inner = innermost(symbol.children ?? [], position);
    if (inner) return inner;
    if (CODE_BLOCKS.has(symbol.kind)) return symbol;
  }
  return undefined;
}
