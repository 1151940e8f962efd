// Models that AMD's NPU runtime servers run: an ONNX Runtime GenAI folder for ryzenai-server,
// a FastFlowLM model tag for flm. Checked before the runtime is started, so that a wrong path or
// tag gets Squeeze's own clear error rather than the runtime's exit code.
import type { GenaiConfig } from "./onnx/genaiConfig";
import { decoderFile, readGenaiConfig, readTokenizer, type FolderTokenizer } from "./onnx/genaiFolder";
import { FLM_TAG } from "../protocol/flmTag";
import { InvalidModelError } from "./invalidModelError";

export interface NpuFolder {
  config: GenaiConfig;
  /** Where the folder has a tokenizer.json: tokenize and fill-in-the-middle use it. */
  tokenizer: FolderTokenizer | undefined;
}

/** The runtime reads the model itself; Squeeze checks what it can name clearly: the config, the decoder file, the tokenizer. */
export async function inspectNpuFolder(dir: string): Promise<NpuFolder> {
  const config = await readGenaiConfig(dir);
  await decoderFile(dir, config);
  return { config, tokenizer: await readTokenizer(dir) };
}

/** The tag becomes a command-line argument: it must not start with "-" (it would read as an option). */
export function checkFlmTag(tag: string): void {
  if (!FLM_TAG.test(tag)) {
    throw new InvalidModelError(tag, 'a FastFlowLM model is named by its tag, such as "llama3.2:1b" (see `flm list`)');
  }
}
