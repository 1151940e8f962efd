// Suggestions already made, so that typing along a suggestion answers from memory, and going back
// to a place answers at once. An LRU map keyed by the text around the cursor; a lookup also
// matches an entry whose prefix plus suggestion starts with the current prefix (the user typed
// part of the suggestion), answering with the rest of it.

export interface CachedCompletion {
  /** The completion still to insert at the cursor. */
  text: string;
  /** Whether it came from the entry for exactly this place (false: typed along a suggestion). */
  exact: boolean;
}

interface Entry {
  prefix: string;
  suffix: string;
  text: string;
}

export class CompletionCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly capacity = 256) {}

  get size(): number {
    return this.entries.size;
  }

  set(prefix: string, suffix: string, text: string): void {
    const key = keyOf(prefix, suffix);
    this.entries.delete(key);
    this.entries.set(key, { prefix, suffix, text });
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  get(prefix: string, suffix: string): CachedCompletion | undefined {
    const key = keyOf(prefix, suffix);
    const exact = this.entries.get(key);
    if (exact) {
      this.touch(key, exact);
      return { text: exact.text, exact: true };
    }
    // Newest first: the suggestion being typed along is the one most recently made.
    for (const [entryKey, entry] of [...this.entries].reverse()) {
      if (entry.suffix !== suffix || prefix.length <= entry.prefix.length || !prefix.startsWith(entry.prefix)) continue;
      const typed = prefix.slice(entry.prefix.length);
      if (entry.text.length > typed.length && entry.text.startsWith(typed)) {
        this.touch(entryKey, entry);
        return { text: entry.text.slice(typed.length), exact: false };
      }
    }
    return undefined;
  }

  clear(): void {
    this.entries.clear();
  }

  private touch(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
  }
}

/** The prefix's end and the suffix's start decide the suggestion; the far ends of the windows hardly do. */
function keyOf(prefix: string, suffix: string): string {
  return `${prefix.slice(-2000)}\u0000${suffix.slice(0, 500)}`;
}
