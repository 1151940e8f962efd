// A fill-in-the-middle prompt in the model's own format, from the FIM tokens its GGUF declares
// (Qwen2.5-Coder, CodeLlama, StarCoder2, DeepSeek-Coder, Codestral), in the layout the family was
// trained on (defaults.fimPrompt).
import type { LlamaModel, Token } from "node-llama-cpp";
import type { ExtraChunk } from "../../engine/types";
import { FILE_SEPARATOR, fimPrompt, noFimTokens, suffixFirstTrained, withExtraContext } from "../defaults";

export function fimTokens(model: LlamaModel, prefix: string, suffix: string, extra?: ExtraChunk[]): Token[] {
  const fim = model.tokens.infill;
  if (fim.prefix == null || fim.suffix == null) throw noFimTokens();
  // Code is text: FIM markers typed in it must not become special tokens.
  const text = (t: string) => model.tokenize(t);
  const suffixFirst = suffixFirstTrained(model.detokenize([fim.prefix], true));
  const tokens = fimPrompt({ prefix: fim.prefix, suffix: fim.suffix, middle: fim.middle, suffixFirst }, text(prefix), text(suffix)) as Token[];
  return withExtraContext(tokens, extra, text, specialToken(model, FILE_SEPARATOR));
}

/** The id of a special token spelled `text`, when the vocabulary has one. */
function specialToken(model: LlamaModel, text: string): Token | undefined {
  const ids = model.tokenize(text, true);
  return ids.length === 1 && model.tokenize(text).length > 1 ? ids[0] : undefined;
}
