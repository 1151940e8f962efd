// What one ONNX decode step costs as the shared KV buffer grows, apart from the context it
// holds: onnxruntime-node called directly on qwen05-int4-onnx, median of STEPS steps each.
// Shows why decode slows with long contexts (see the ONNX backend's kvCache.ts).
import { InferenceSession, Tensor } from "onnxruntime-node";
import { inspectGenaiFolder } from "../../src/core/models/onnx/genaiFolder";
import { layerName } from "../../src/core/models/onnx/genaiConfig";
import { QWEN05_ONNX } from "../helpers/paths";
import { median } from "./stats";

const STEPS = 21;
const CASES: Array<[rows: number, context: number]> = [[256, 100], [768, 100], [768, 600], [2304, 100], [2304, 2100]];

export async function benchKvBuffer(): Promise<void> {
  const folder = await inspectGenaiFolder(QWEN05_ONNX);
  const d = folder.config.model.decoder;
  const session = await InferenceSession.create(folder.modelPath, { logSeverityLevel: 3 });
  console.log(`qwen05-int4-onnx, one decode step, onnxruntime-node called directly, median of ${STEPS} steps\n`);
  console.log("| KV buffer rows | context | ms per step |\n|---:|---:|---:|");
  try {
    for (const [rows, context] of CASES) {
      // Zero-free values: a buffer of zeros could take shortcuts real caches do not.
      const buffer = () => new Tensor("float32", new Float32Array(d.num_key_value_heads * rows * d.head_size).fill(0.01), [1, d.num_key_value_heads, rows, d.head_size]);
      const feeds: Record<string, Tensor> = {};
      const fetches: Record<string, Tensor | null> = { [d.outputs.logits]: null };
      for (let layer = 0; layer < d.num_hidden_layers; layer++) {
        for (const [past, present] of [[d.inputs.past_key_names, d.outputs.present_key_names], [d.inputs.past_value_names, d.outputs.present_value_names]]) {
          const t = buffer();
          feeds[layerName(past, layer)] = t;
          fetches[layerName(present, layer)] = t;
        }
      }
      const times: number[] = [];
      for (let step = 0; step < STEPS; step++) {
        const total = context + step;
        feeds[d.inputs.input_ids] = new Tensor("int64", BigInt64Array.from([5n]), [1, 1]);
        feeds[d.inputs.attention_mask] = new Tensor("int64", new BigInt64Array(total).fill(1n), [1, total]);
        const start = performance.now();
        await session.run(feeds, fetches);
        times.push(performance.now() - start);
      }
      console.log(`| ${rows} | ${context} | ${median(times).toFixed(1)} |`);
    }
  } finally {
    await session.release();
  }
}
