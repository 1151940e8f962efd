// The VS Code extension entry point. The engine and server live in src/core and are
// wired into the editor by a later change; until then the extension only activates.
import type * as vscode from "vscode";

export function activate(_context: vscode.ExtensionContext): void {}

export function deactivate(): void {}
