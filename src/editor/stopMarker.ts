// The user's "Squeeze: Stop Server", shared by every window: a file present while the user has
// stopped the server, so that other windows do not start it again and new ones do not start it.
import { existsSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";

export class StopMarker {
  constructor(private readonly file: string) {}

  /** Whether the user stopped the server (in any window) and has not started it since. */
  get present(): boolean {
    return existsSync(this.file);
  }

  async set(): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    await writeFile(this.file, `${process.pid}\n`);
  }

  async clear(): Promise<void> {
    await rm(this.file, { force: true });
  }
}
