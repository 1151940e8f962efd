// Proposed edits as files in memory (scheme squeeze-edit), the right side of the diff the user
// reviews. They are writable once complete, so the diff editor's own controls (revert a hunk, edit
// the proposal) work on them; read-only while an answer still streams in.
import * as vscode from "vscode";

export const PROPOSAL_SCHEME = "squeeze-edit";

interface Proposal {
  data: Uint8Array;
  mtime: number;
  readonly: boolean;
}

export class Proposals implements vscode.FileSystemProvider, vscode.Disposable {
  private readonly files = new Map<string, Proposal>();
  private readonly changed = new vscode.EventEmitter<vscode.FileChangeEvent[]>();
  readonly onDidChangeFile = this.changed.event;
  private readonly registration = vscode.workspace.registerFileSystemProvider(PROPOSAL_SCHEME, this, { isCaseSensitive: true });
  private next = 0;

  /** A new proposal named like `original` (so it gets the same language), holding `text`. */
  create(original: vscode.Uri, text: string, readonly: boolean): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: `/${++this.next}/${original.path.split("/").pop()}` });
    this.files.set(uri.toString(), { data: encode(text), mtime: Date.now(), readonly });
    return uri;
  }

  update(uri: vscode.Uri, text: string, readonly: boolean): void {
    const file = this.files.get(uri.toString());
    if (!file) return;
    Object.assign(file, { data: encode(text), mtime: Date.now(), readonly });
    this.changed.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }

  remove(uri: vscode.Uri): void {
    if (this.files.delete(uri.toString())) this.changed.fire([{ type: vscode.FileChangeType.Deleted, uri }]);
  }

  stat(uri: vscode.Uri): vscode.FileStat {
    const file = this.get(uri);
    return { type: vscode.FileType.File, ctime: file.mtime, mtime: file.mtime, size: file.data.byteLength, ...(file.readonly && { permissions: vscode.FilePermission.Readonly }) };
  }

  readFile(uri: vscode.Uri): Uint8Array {
    return this.get(uri).data;
  }

  writeFile(uri: vscode.Uri, content: Uint8Array): void {
    const file = this.get(uri);
    if (file.readonly) throw vscode.FileSystemError.NoPermissions(uri);
    Object.assign(file, { data: content, mtime: Date.now() });
    this.changed.fire([{ type: vscode.FileChangeType.Changed, uri }]);
  }

  watch(): vscode.Disposable {
    // Every change is announced through onDidChangeFile already.
    return new vscode.Disposable(() => {});
  }

  readDirectory(): [string, vscode.FileType][] {
    return [];
  }

  createDirectory(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  delete(uri: vscode.Uri): void {
    this.remove(uri);
  }

  rename(uri: vscode.Uri): void {
    throw vscode.FileSystemError.NoPermissions(uri);
  }

  dispose(): void {
    this.registration.dispose();
    this.changed.dispose();
  }

  private get(uri: vscode.Uri): Proposal {
    const file = this.files.get(uri.toString());
    if (!file) throw vscode.FileSystemError.FileNotFound(uri);
    return file;
  }
}

const encode = (text: string) => new TextEncoder().encode(text);
