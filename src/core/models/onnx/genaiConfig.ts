// genai_config.json of an ONNX Runtime GenAI model folder: the schema Squeeze reads and the
// defaults onnxruntime-genai itself applies where a field is absent. Unknown fields are kept
// (real configs carry many this loader does not need).
import { z } from "zod";

const count = z.int().positive();
const tokenId = z.int().nonnegative();

/** One execution provider's options, e.g. { "dml": {} } or { "VitisAI": { "config_file": "…" } }. */
const providerOptions = z.record(z.string(), z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])));

const sessionOptions = z.looseObject({
  provider_options: z.array(providerOptions).default([]),
  custom_ops_library: z.string().optional(),
  intra_op_num_threads: z.int().nonnegative().optional(),
});

const decoder = z.looseObject({
  filename: z.string().min(1),
  session_options: sessionOptions.default({ provider_options: [] }),
  head_size: count,
  hidden_size: count,
  num_attention_heads: count,
  num_hidden_layers: count,
  num_key_value_heads: count,
  inputs: z
    .looseObject({
      input_ids: z.string().default("input_ids"),
      attention_mask: z.string().default("attention_mask"),
      position_ids: z.string().default("position_ids"),
      past_key_names: z.string().includes("%d").default("past_key_values.%d.key"),
      past_value_names: z.string().includes("%d").default("past_key_values.%d.value"),
    })
    .prefault({}),
  outputs: z
    .looseObject({
      logits: z.string().default("logits"),
      present_key_names: z.string().includes("%d").default("present.%d.key"),
      present_value_names: z.string().includes("%d").default("present.%d.value"),
    })
    .prefault({}),
  /** Split decoders (a pipeline of several sessions) are a different format; see genaiFolder. */
  pipeline: z.unknown().optional(),
});

const search = z.looseObject({
  do_sample: z.boolean().default(false),
  max_length: count.optional(),
  temperature: z.number().nonnegative().default(1),
  top_k: z.int().nonnegative().default(50),
  top_p: z.number().gt(0).max(1).default(1),
  repetition_penalty: z.number().positive().default(1),
  past_present_share_buffer: z.boolean().default(true),
});

export const genaiConfigSchema = z.looseObject({
  model: z.looseObject({
    type: z.string().min(1),
    context_length: count,
    vocab_size: count.optional(),
    bos_token_id: tokenId.optional(),
    eos_token_id: z.union([tokenId, z.array(tokenId).min(1)]),
    pad_token_id: tokenId.optional(),
    decoder,
  }),
  search: search.prefault({}),
});

export type GenaiConfig = z.infer<typeof genaiConfigSchema>;

/** Parses the file's text; the error names every field that is wrong. */
export function parseGenaiConfig(text: string): GenaiConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new Error(`genai_config.json is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = genaiConfigSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "(top level)"}: ${i.message}`);
    throw new Error(`genai_config.json: ${problems.join("; ")}`);
  }
  return parsed.data;
}

/** "past_key_values.%d.key" → "past_key_values.3.key". */
export function layerName(pattern: string, layer: number): string {
  return pattern.replace("%d", String(layer));
}

export function eosTokenIds(config: GenaiConfig): number[] {
  const eos = config.model.eos_token_id;
  return Array.isArray(eos) ? eos : [eos];
}
