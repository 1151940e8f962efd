// The chat's reach into the editor: the selection or file it attaches as context, and the code it
// inserts at the cursor.
import path from "node:path";
import * as vscode from "vscode";
import type { StoredChip } from "./chatHistory";

/** A whole file larger than this is refused as context: it would crowd out the conversation. */
const MAX_CONTEXT_CHARS = 100_000;

/** The active editor's selection, or its whole file; a message to show instead when there is none. */
export function contextFromEditor(kind: "selection" | "file"): Omit<StoredChip, "id" | "tokens"> | string {
  const editor = vscode.window.activeTextEditor;
  if (!editor) return "Open a file first: its selection or content is what the chat attaches.";
  const { document, selection } = editor;
  const name = path.basename(document.uri.path);
  const relative = vscode.workspace.asRelativePath(document.uri);
  if (kind === "selection" && selection.isEmpty) return "Select some code first, or attach the whole file.";
  const range = kind === "selection" ? new vscode.Range(selection.start, selection.end) : undefined;
  const text = document.getText(range);
  if (text.length > MAX_CONTEXT_CHARS) return `${relative} is too large to attach (${text.length.toLocaleString()} characters; the limit is ${MAX_CONTEXT_CHARS.toLocaleString()}). Select the part that matters instead.`;
  const lines = range ? `:${range.start.line + 1}-${range.end.line + (range.end.character === 0 && range.end.line > range.start.line ? 0 : 1)}` : "";
  return { kind, label: `${name}${lines}`, detail: `${relative}${lines}`, text, language: document.languageId };
}

/** Puts code where the user's cursors are (replacing selections); false when no editor is open. */
export async function insertAtCursor(code: string): Promise<boolean> {
  const editor = vscode.window.activeTextEditor ?? vscode.window.visibleTextEditors[0];
  if (!editor) return false;
  // A plain edit, not a snippet: `$1` and `${x}` in code must stay as they are.
  await editor.edit((edit) => {
    for (const selection of editor.selections) edit.replace(selection, code);
  });
  await vscode.window.showTextDocument(editor.document, editor.viewColumn);
  return true;
}
