// The status bar's switch for inline completions in the current editor's language, as Copilot and
// llama.vscode have it: it shows whether they are on there, and a click turns them off or on for
// that language only.
import * as vscode from "vscode";

export class CompletionsStatus implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("squeeze.completions", vscode.StatusBarAlignment.Right, 99);

  constructor() {
    this.item.name = "Squeeze Completions";
    this.item.command = "squeeze.toggleCompletions";
  }

  /** Shows the switch for `languageId` (hidden when no editor is active). */
  render(languageId: string | undefined, enabled: boolean): void {
    if (!languageId) return this.item.hide();
    this.item.text = enabled ? "$(sparkle)" : "$(circle-slash)";
    this.item.tooltip = `Squeeze inline completions are ${enabled ? "on" : "off"} for ${languageId}: click to turn them ${enabled ? "off" : "on"} for ${languageId}`;
    this.item.accessibilityInformation = { label: `Squeeze completions ${enabled ? "on" : "off"} for ${languageId}` };
    this.item.show();
  }

  dispose(): void {
    this.item.dispose();
  }
}
