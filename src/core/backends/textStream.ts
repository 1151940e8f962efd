// Generated tokens to text, shared by the backends that decode in TypeScript.

/**
 * Turns tokens into text as they come. A character may span tokens (emoji, CJK in byte-level
 * BPE); text is released only once it no longer ends in a partial character. Decoding a short
 * window of recent tokens keeps each step O(1) and keeps decoders that look at neighbouring
 * tokens (leading-space rules) right.
 */
export class TextStream<T extends number = number> {
  private tokens: T[] = [];
  /** tokens[prefix..read) is context already released; tokens[read..] is not released yet. */
  private prefix = 0;
  private read = 0;

  /** `decode`: the tokenizer's text of some tokens, special tokens left out. */
  constructor(private readonly decode: (tokens: T[]) => string) {}

  push(id: T): string {
    this.tokens.push(id);
    const before = this.decode(this.tokens.slice(this.prefix, this.read));
    const after = this.decode(this.tokens.slice(this.prefix));
    if (after.endsWith("\uFFFD") || after.length <= before.length) return "";
    this.prefix = this.read;
    this.read = this.tokens.length;
    return after.slice(before.length);
  }

  /** Whatever is still held when generation ends (an incomplete character stays as U+FFFD). */
  flush(): string {
    const before = this.decode(this.tokens.slice(this.prefix, this.read));
    const after = this.decode(this.tokens.slice(this.prefix));
    this.prefix = this.read = this.tokens.length;
    return after.slice(before.length);
  }
}
