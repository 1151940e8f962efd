// Which ranked choices are already on disk, and how to get the best one when none is.
import { localVariantPath } from "../store/hfCache";
import type { Choice } from "./types";

export interface LocalChoice {
  choice: Choice;
  /** What the backend loads: the GGUF file or the model folder (for flm, its tag). */
  path: string;
}

/**
 * The choices whose files are all in the Hugging Face cache, or (flm) that FastFlowLM has
 * pulled, in rank order.
 */
export async function localChoices(choices: Choice[], cacheDir: string, flmTags: ReadonlySet<string>): Promise<LocalChoice[]> {
  const found: LocalChoice[] = [];
  for (const choice of choices) {
    const { tag } = choice.variant;
    const local = tag ? (flmTags.has(tag.toLowerCase()) ? tag : undefined) : await localVariantPath(cacheDir, choice.variant);
    if (local) found.push({ choice, path: local });
  }
  return found;
}

/** The command that puts a choice's files where Squeeze (and other Hugging Face tools) look. */
export function fetchHint(choice: Pick<Choice, "id" | "variant">): string {
  const v = choice.variant;
  return v.recipe === "flm" ? `flm pull ${v.tag}` : `squeeze pull ${choice.id}`;
}
