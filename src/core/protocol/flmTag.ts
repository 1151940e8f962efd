// FastFlowLM model tags, which look like Ollama's: "llama3.2:1b", "qwen3:8b". One pattern for
// the catalog, the `flm:<tag>` argument and the output of `flm list`.
const TAG_PART = "[a-z0-9][a-z0-9._-]*";

export const FLM_TAG = new RegExp(`^${TAG_PART}(:${TAG_PART})?$`, "i");

/** The name:size tags in a text, such as the output of `flm list`. */
export function flmTagsIn(text: string): string[] {
  return text.match(new RegExp(`${TAG_PART}:${TAG_PART}`, "gi")) ?? [];
}
