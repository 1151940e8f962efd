// The API key lives in VS Code's SecretStorage (the OS keychain), never in settings.json, and is
// shared by every window: the window that hosts the server requires it, the others send it.
import { randomBytes } from "node:crypto";
import type * as vscode from "vscode";

const SECRET = "squeeze.apiKey";

export class ApiKeyStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  get(): Promise<string | undefined> {
    return Promise.resolve(this.secrets.get(SECRET)).then((key) => key || undefined);
  }

  /** The stored key, or a new random one stored now: `requireApiKey` needs one. */
  async getOrCreate(): Promise<string> {
    return (await this.get()) ?? (await this.generate());
  }

  async generate(): Promise<string> {
    const key = `sqz-${randomBytes(24).toString("base64url")}`;
    await this.set(key);
    return key;
  }

  async set(key: string): Promise<void> {
    await this.secrets.store(SECRET, key);
  }

  async clear(): Promise<void> {
    await this.secrets.delete(SECRET);
  }

  onDidChange(listener: () => void): vscode.Disposable {
    return this.secrets.onDidChange((e) => {
      if (e.key === SECRET) listener();
    });
  }
}
