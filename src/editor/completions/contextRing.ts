// Context from other files for inline completions: chunks of the files the user recently viewed
// or edited, in a ring. It changes only when the user switches files, never while typing, so the
// server keeps the chunks in its KV cache from one keystroke to the next.
import type { ExtraChunk } from "../../core/protocol/types";

interface Chunk extends ExtraChunk {
  startLine: number;
}

export class ContextRing {
  private chunks: Chunk[] = [];

  constructor(
    private readonly maxChunks = 6,
    /** Characters of chunks a request may carry (about 800 tokens of code). */
    private readonly maxChars = 3000,
    private readonly chunkLines = 24,
  ) {}

  /** Remembers the lines around `line` of a file; replaces an overlapping chunk of the same file. */
  add(filename: string, text: string, line: number): void {
    const lines = text.split("\n");
    const startLine = Math.max(0, Math.min(line - Math.floor(this.chunkLines / 2), lines.length - this.chunkLines));
    const chunk = lines.slice(startLine, startLine + this.chunkLines).join("\n");
    if (chunk.trim() === "") return;
    this.chunks = this.chunks.filter(
      (c) => c.text !== chunk && !(c.filename === filename && Math.abs(c.startLine - startLine) < this.chunkLines),
    );
    this.chunks.push({ filename, text: chunk, startLine });
    if (this.chunks.length > this.maxChunks) this.chunks.shift();
  }

  /** The chunks a request in `current` carries: other files only, the newest that fit the budget, oldest first. */
  chunksFor(current: string): ExtraChunk[] {
    const chosen: ExtraChunk[] = [];
    let chars = 0;
    for (const c of [...this.chunks].reverse()) {
      if (c.filename === current) continue;
      chars += c.filename.length + c.text.length;
      if (chars > this.maxChars) break;
      chosen.unshift({ filename: c.filename, text: c.text });
    }
    return chosen;
  }
}
