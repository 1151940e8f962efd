// A Hugging Face tokenizer.json (through @huggingface/tokenizers, pure JavaScript) with what the
// generation loop needs: prompts with or without special tokens, FIM token ids, and text
// decoded token by token that is always whole UTF-8.
import type { Tokenizer } from "@huggingface/tokenizers";
import type { PromptPart } from "../chatTemplate";
import { type FimMarkers, suffixFirstTrained } from "../defaults";

/** FIM marker spellings of the common code model families (Qwen/StarCoder 2, StarCoder, CodeLlama). */
const FIM_SPELLINGS = [
  { prefix: "<|fim_prefix|>", suffix: "<|fim_suffix|>", middle: "<|fim_middle|>" },
  { prefix: "<fim_prefix>", suffix: "<fim_suffix>", middle: "<fim_middle>" },
  { prefix: "<PRE>", suffix: "<SUF>", middle: "<MID>" },
];

export interface FimTokens extends FimMarkers<number> {
  middle: number;
}

export class HfTokenizer {
  readonly bosToken: string;
  readonly eosToken: string;
  readonly fim: FimTokens | undefined;
  private readonly bosId: number | undefined;

  constructor(
    private readonly tokenizer: Tokenizer,
    config: Record<string, unknown>,
  ) {
    this.bosToken = tokenContent(config.bos_token);
    this.eosToken = tokenContent(config.eos_token);
    // Some tokenizers say to start every prompt with BOS; chat templates usually write it themselves.
    this.bosId = config.add_bos_token === true && this.bosToken ? this.tokenizer.token_to_id(this.bosToken) : undefined;
    this.fim = FIM_SPELLINGS.map((s) => ({
      prefix: this.tokenizer.token_to_id(s.prefix),
      suffix: this.tokenizer.token_to_id(s.suffix),
      middle: this.tokenizer.token_to_id(s.middle),
      suffixFirst: suffixFirstTrained(s.prefix),
    })).find((f): f is FimTokens => f.prefix !== undefined && f.suffix !== undefined && f.middle !== undefined);
  }

  /** The id of a token spelled exactly `text` (a special token), if the vocabulary has one. */
  tokenId(text: string): number | undefined {
    return this.tokenizer.token_to_id(text);
  }

  /** A prompt: special tokens written in the text (ChatML markers, FIM markers) are honoured. */
  encodePrompt(text: string): number[] {
    return this.withBos(this.tokenizer.encode(text, { add_special_tokens: false }).ids);
  }

  /** A rendered chat: the template's special tokens honoured, the messages' content as text. */
  encodeParts(parts: PromptPart[]): number[] {
    return this.withBos(parts.flatMap((part) => (part.special ? this.tokenizer.encode(part.text, { add_special_tokens: false }).ids : this.encodeText(part.text))));
  }

  private withBos(ids: number[]): number[] {
    return this.bosId !== undefined && ids[0] !== this.bosId ? [this.bosId, ...ids] : ids;
  }

  /** Plain text such as code: marker spellings in it stay ordinary text. */
  encodeText(text: string): number[] {
    const { normalizer, pre_tokenizer, model } = this.tokenizer;
    if (!model) throw new Error("the tokenizer has no model");
    const normalized = normalizer ? normalizer(text) : text;
    const words = pre_tokenizer ? pre_tokenizer(normalized, { section_index: 0 }) : [normalized];
    return model(words).map((token) => model.tokens_to_ids.get(token) ?? model.unk_token_id!);
  }

  decode(ids: number[]): string {
    return ids.length === 0 ? "" : this.tokenizer.decode(ids, { skip_special_tokens: true });
  }
}

/** tokenizer_config.json writes special tokens as a string or as { content: "…" }. */
function tokenContent(value: unknown): string {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && typeof (value as { content?: unknown }).content === "string") {
    return (value as { content: string }).content;
  }
  return "";
}
