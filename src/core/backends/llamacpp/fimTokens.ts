// A fill-in-the-middle prompt in the model's own format, from the FIM tokens its GGUF declares
// (Qwen2.5-Coder, CodeLlama, StarCoder2, DeepSeek-Coder ...): prefix-suffix-middle where the model
// has a middle token, suffix-first where it has none (Codestral's [SUFFIX] … [PREFIX] …).
import type { LlamaModel, Token } from "node-llama-cpp";
import { fimPrompt, noFimTokens } from "../defaults";

export function fimTokens(model: LlamaModel, prefix: string, suffix: string): Token[] {
  const fim = model.tokens.infill;
  if (fim.prefix == null || fim.suffix == null) throw noFimTokens();
  // Code is text: FIM markers typed in it must not become special tokens.
  return fimPrompt({ prefix: fim.prefix, suffix: fim.suffix, middle: fim.middle }, model.tokenize(prefix), model.tokenize(suffix)) as Token[];
}
