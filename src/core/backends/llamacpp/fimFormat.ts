// A fill-in-the-middle prompt in the model's own format, from the FIM tokens its GGUF declares
// (Qwen2.5-Coder, CodeLlama, StarCoder2, DeepSeek-Coder, Codestral), in the layout the family was
// trained on (defaults.fimPrompt).
import type { LlamaModel, Token } from "node-llama-cpp";
import type { ExtraChunk } from "../../protocol/types";
import { FILE_SEPARATOR, type FimMarkers, fimPrompt, suffixFirstTrained, withExtraContext } from "../defaults";

/** A model's FIM format, read from its vocabulary once, when it loads (prompts are built per keystroke). */
export class FimFormat {
  private constructor(
    private readonly model: LlamaModel,
    private readonly markers: FimMarkers<Token>,
    private readonly fileSeparator: Token | undefined,
  ) {}

  /** Undefined when the model declares no FIM tokens. */
  static of(model: LlamaModel): FimFormat | undefined {
    const { prefix, suffix, middle } = model.tokens.infill;
    if (prefix == null || suffix == null) return undefined;
    const suffixFirst = suffixFirstTrained(model.detokenize([prefix], true));
    return new FimFormat(model, { prefix, suffix, middle, suffixFirst }, specialToken(model, FILE_SEPARATOR));
  }

  prompt(prefix: string, suffix: string, extra?: ExtraChunk[], middle = ""): Token[] {
    // Code is text: FIM markers typed in it must not become special tokens.
    const text = (t: string) => this.model.tokenize(t);
    return withExtraContext(fimPrompt(this.markers, text(prefix), text(suffix), middle ? text(middle) : []), extra, text, this.fileSeparator);
  }
}

/** The id of a special token spelled `text`, when the vocabulary has one. */
function specialToken(model: LlamaModel, text: string): Token | undefined {
  const ids = model.tokenize(text, true);
  return ids.length === 1 && model.tokenize(text).length > 1 ? ids[0] : undefined;
}
