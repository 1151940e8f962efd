// One onnxruntime session over a GenAI folder's decoder: feeds token ids, positions, the
// attention mask and the KV cache by the names genai_config.json gives, and returns the logits
// of the last position.
import type { InferenceSession, Tensor } from "onnxruntime-node";
import { EngineError } from "../../protocol/errors";
import { layerName } from "../../models/onnx/genaiConfig";
import type { GenaiFolder } from "../../models/onnx/genaiFolder";
import { float16ToFloat32 } from "../../util/float16";
import { cudaProviderInstalled, planExecutionProviders } from "../../natives/executionProviders";
import { KvCache } from "./kvCache";
import { loadOnnxRuntime } from "../../natives/ort";

export class DecoderSession {
  private constructor(
    private readonly session: InferenceSession,
    private readonly TensorClass: typeof Tensor,
    private readonly folder: GenaiFolder,
    /** The execution provider the session was created with. */
    readonly provider: string,
    readonly cache: KvCache,
  ) {}

  static async create(folder: GenaiFolder, gpu: "auto" | false): Promise<DecoderSession> {
    const ort = await loadOnnxRuntime().catch((err: Error) => {
      throw new EngineError("runtime_unavailable", `onnxruntime-node cannot be loaded on this machine: ${err.message}`);
    });
    const decoder = folder.config.model.decoder;
    const plans = planExecutionProviders({
      supported: ort.listSupportedBackends().map((b) => b.name),
      platform: process.platform,
      gpu,
      configured: decoder.session_options.provider_options,
      cudaInstalled: cudaProviderInstalled(),
    });
    const threads = decoder.session_options.intra_op_num_threads;
    const options = {
      graphOptimizationLevel: "all",
      // Unset, onnxruntime uses one thread per physical core.
      ...(threads !== undefined && { intraOpNumThreads: threads }),
      logSeverityLevel: 3,
    } as const;
    let session: InferenceSession | undefined;
    let provider = "cpu";
    let firstError: unknown;
    // Best provider first; a GPU provider that fails to start falls back to the next one.
    for (let i = 0; i < plans.length && !session; i++) {
      const tried = plans.slice(i);
      try {
        session = await ort.InferenceSession.create(folder.modelPath, {
          ...options,
          executionProviders: tried.map((p) => ({ name: p.name, ...p.options })),
        });
        provider = tried[0].name;
      } catch (err) {
        firstError ??= err;
      }
    }
    if (!session) {
      throw new EngineError("invalid_model", `onnxruntime could not load ${folder.modelPath}: ${(firstError as Error).message}`);
    }
    const names = {
      pastKeys: layers(decoder.num_hidden_layers, decoder.inputs.past_key_names),
      pastValues: layers(decoder.num_hidden_layers, decoder.inputs.past_value_names),
      presentKeys: layers(decoder.num_hidden_layers, decoder.outputs.present_key_names),
      presentValues: layers(decoder.num_hidden_layers, decoder.outputs.present_value_names),
    };
    const shared = folder.config.search.past_present_share_buffer;
    const cache = new KvCache(ort.Tensor, names, decoder.num_key_value_heads, decoder.head_size, folder.kvType, shared);
    return new DecoderSession(session, ort.Tensor, folder, provider, cache);
  }

  /** Runs `ids` after the cached tokens; `limit` caps the cache (the context size). */
  async run(ids: readonly number[], limit: number): Promise<Float32Array> {
    const { inputs, outputs } = this.folder.config.model.decoder;
    const graphInputs = this.folder.graph.inputs;
    const past = this.cache.length;
    const total = past + ids.length;
    this.cache.reserve(total, limit);
    const int64 = (values: BigInt64Array, dims: number[]) => new this.TensorClass("int64", values, dims);
    const feeds: Record<string, Tensor> = {
      [inputs.input_ids]: int64(BigInt64Array.from(ids, BigInt), [1, ids.length]),
      ...this.cache.feeds(),
    };
    if (graphInputs.has(inputs.attention_mask)) feeds[inputs.attention_mask] = int64(new BigInt64Array(total).fill(1n), [1, total]);
    if (graphInputs.has(inputs.position_ids)) {
      feeds[inputs.position_ids] = int64(BigInt64Array.from(ids, (_, i) => BigInt(past + i)), [1, ids.length]);
    }
    const result = await this.session.run(feeds, { [outputs.logits]: null, ...this.cache.fetches() });
    this.cache.commit(ids, result);
    return lastRow(result[outputs.logits], this.folder.vocabSize);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

function layers(count: number, pattern: string): string[] {
  return Array.from({ length: count }, (_, i) => layerName(pattern, i));
}

/** Logits are [batch, sequence, vocab] (or [batch, vocab]); the next token needs the last row. */
function lastRow(logits: Tensor, vocab: number): Float32Array {
  const width = logits.dims.at(-1);
  if (width !== vocab) throw new EngineError("invalid_model", `the model's logits are ${width} wide, not the vocabulary's ${vocab}`);
  const data = logits.data as Float32Array | Uint16Array;
  const row = data.subarray(data.length - vocab);
  // A copy: the sampler edits the row, and the runtime's output buffer is not ours to keep.
  return row instanceof Float32Array ? row.slice() : float16ToFloat32(row);
}
