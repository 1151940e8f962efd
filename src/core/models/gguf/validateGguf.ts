// Checks a GGUF file in JavaScript before llama.cpp sees it. llama.cpp aborts the whole
// process (not just the call) on some malformed files, e.g. a missing feed_forward_length;
// in an editor that would take every extension of the window down with it.
import { open, stat } from "node:fs/promises";
import type { GgufFileInfo } from "node-llama-cpp";
import { loadNodeLlamaCpp } from "../../natives/nodeLlamaCpp";
import { InvalidModelError } from "../invalidModelError";
import { ggmlBlockSize } from "./ggmlTypes";

const MAGIC = "GGUF";
/** Magic, version, tensor count and metadata count. */
const FIXED_HEADER = 4 + 4 + 8 + 8;

/** Hyper-parameters llama.cpp reads without a default for every architecture. */
const REQUIRED_ARCH_KEYS = [
  "context_length",
  "embedding_length",
  "block_count",
  "feed_forward_length",
  "attention.head_count",
] as const;

export async function validateGguf(path: string): Promise<void> {
  const fail = (problem: string): never => {
    throw new InvalidModelError(path, problem);
  };
  const fileSize = await stat(path).then(
    (s) => (s.isFile() ? s.size : fail("it is not a file")),
    () => fail("the file does not exist or cannot be read"),
  );
  const head = await readHead(path, FIXED_HEADER);
  if (head.subarray(0, 4).toString("latin1") !== MAGIC) fail(`it is not a GGUF file (it does not start with "${MAGIC}")`);
  if (head.length < FIXED_HEADER) fail(`it is truncated: ${fileSize} bytes is less than a GGUF header`);
  // Checked here because node-llama-cpp's reader never returns on some unknown versions.
  const version = head.readUInt32LE(4);
  if (version !== 2 && version !== 3) fail(`GGUF version ${version} is not supported (2 and 3 are)`);

  const { readGgufFileInfo } = await loadNodeLlamaCpp();
  let info: GgufFileInfo;
  try {
    info = await readGgufFileInfo(path, { sourceType: "filesystem", logWarnings: false, spliceSplitFiles: false });
  } catch (err) {
    return fail(`its GGUF header cannot be read (truncated or corrupt): ${(err as Error).message}`);
  }
  // The reader does not notice a header cut short; the offsets it computed do.
  const headerEnd = info.infoEndOffset ?? 0;
  if (headerEnd > fileSize) fail(`it is truncated: its header ends at byte ${headerEnd} but the file has ${fileSize} bytes`);

  const metadata = info.metadata as unknown as Record<string, unknown>;
  const architecture = get(metadata, "general.architecture");
  if (typeof architecture !== "string" || !architecture) return fail("general.architecture is missing");
  const hyper = (key: string) => get(metadata, `${architecture}.${key}`);
  for (const key of REQUIRED_ARCH_KEYS) {
    if (!isPositive(hyper(key))) fail(`${architecture}.${key} is missing or not a positive number`);
  }
  const embedding = hyper("embedding_length") as number;
  const blocks = hyper("block_count") as number;
  const headCount = hyper("attention.head_count");
  const headCountKv = hyper("attention.head_count_kv") ?? headCount;
  if (typeof headCount === "number" && typeof headCountKv === "number") {
    if (headCountKv === 0 || headCount % headCountKv !== 0) {
      fail(`attention.head_count (${headCount}) is not a multiple of attention.head_count_kv (${headCountKv})`);
    }
    if (hyper("attention.key_length") === undefined && embedding % headCount !== 0) {
      fail(`embedding_length (${embedding}) is not a multiple of attention.head_count (${headCount})`);
    }
  }

  const tokens = get(metadata, "tokenizer.ggml.tokens");
  const tokenizerModel = get(metadata, "tokenizer.ggml.model");
  if (typeof tokenizerModel !== "string") fail("tokenizer.ggml.model is missing");
  if (!Array.isArray(tokens) || tokens.length === 0) return fail("tokenizer.ggml.tokens is missing or empty");
  if (tokenizerModel === "gpt2" && !Array.isArray(get(metadata, "tokenizer.ggml.merges"))) {
    fail("tokenizer.ggml.merges is missing (a BPE tokenizer needs it)");
  }
  const tokenTypes = get(metadata, "tokenizer.ggml.token_type");
  if (Array.isArray(tokenTypes) && tokenTypes.length !== tokens.length) {
    fail(`tokenizer.ggml.token_type has ${tokenTypes.length} entries for ${tokens.length} tokens`);
  }
  for (const key of ["bos_token_id", "eos_token_id", "padding_token_id"]) {
    const id = get(metadata, `tokenizer.ggml.${key}`);
    if (typeof id === "number" && id >= tokens.length) fail(`tokenizer.ggml.${key} (${id}) is not a token`);
  }

  const tensors = info.tensorInfo ?? [];
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const embd = byName.get("token_embd.weight");
  if (!embd) return fail("the tensor token_embd.weight is missing");
  const [embdCols, embdRows] = embd.dimensions.map(Number);
  if (embdCols !== embedding || embdRows !== tokens.length) {
    fail(`token_embd.weight is ${embdCols}x${embdRows}, but embedding_length is ${embedding} and there are ${tokens.length} tokens`);
  }
  const blockIndexes = tensors.map((t) => /^blk\.(\d+)\./.exec(t.name)?.[1]).filter((i) => i !== undefined).map(Number);
  const highest = Math.max(-1, ...blockIndexes);
  if (highest + 1 !== blocks) fail(`block_count is ${blocks} but the file has tensors for ${highest + 1} blocks`);

  for (const tensor of tensors) {
    const dims = tensor.dimensions.map(Number);
    const size = ggmlBlockSize(tensor.ggmlType);
    if (!size) return fail(`tensor ${tensor.name} has a ggml type (${tensor.ggmlType}) this version does not know`);
    const [blockElements, blockBytes] = size;
    if (dims[0] % blockElements !== 0) fail(`tensor ${tensor.name} rows (${dims[0]}) are not a multiple of its block size`);
    const end = Number(tensor.fileOffset) + (dims.reduce((a, b) => a * b, 1) / blockElements) * blockBytes;
    if (end > fileSize) fail(`it is truncated: tensor ${tensor.name} ends at byte ${end} but the file has ${fileSize} bytes`);
  }
}

async function readHead(path: string, length: number): Promise<Buffer> {
  const file = await open(path, "r");
  try {
    const { buffer, bytesRead } = await file.read(Buffer.alloc(length), 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await file.close();
  }
}

/** Reads a dotted GGUF key from node-llama-cpp's nested metadata object. */
function get(metadata: Record<string, unknown>, key: string): unknown {
  let value: unknown = metadata;
  for (const part of key.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function isPositive(value: unknown): boolean {
  if (typeof value === "number") return value > 0;
  // Some architectures give per-layer values as arrays.
  return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "number" && v >= 0);
}
