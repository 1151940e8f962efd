// Reads what Squeeze needs to know from a model.onnx before onnxruntime sees it: the graph's
// inputs and outputs, the operator domains it uses, and the external data files it points to.
// Weights usually live in external data, so model.onnx itself is small.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { onnx } from "onnx-proto";

/** Element types by TensorProto.DataType, for the ones a decoder's inputs and outputs use. */
const ELEMENT_TYPES: Record<number, string> = {
  1: "float32",
  6: "int32",
  7: "int64",
  10: "float16",
  16: "bfloat16",
};

export interface ValueInfo {
  name: string;
  type: string;
  /** A number for a fixed dimension, the symbol's name (or "?") for a dynamic one. */
  dims: Array<number | string>;
}

export interface OnnxGraph {
  inputs: Map<string, ValueInfo>;
  outputs: Map<string, ValueInfo>;
  /** Operator domains the nodes use ("" is the default ONNX domain). */
  domains: Set<string>;
  /** Op types seen, as "domain:OpType". */
  ops: Set<string>;
}

/** Operator domains onnxruntime runs without a custom ops library. */
export const BUILT_IN_DOMAINS = new Set(["", "ai.onnx", "ai.onnx.ml", "com.microsoft", "com.microsoft.nchwc", "com.ms.internal.nhwc"]);

/**
 * Parses and checks the model file: it must decode as ONNX, hold a graph, and every external
 * data reference must name a file inside the folder that is long enough.
 */
export async function readOnnxGraph(modelPath: string): Promise<OnnxGraph> {
  const bytes = await readFile(modelPath);
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new Error(`${path.basename(modelPath)} is not a valid ONNX file (truncated or corrupt): ${(err as Error).message}`);
  }
  const graph = model.graph;
  if (!graph) throw new Error(`${path.basename(modelPath)} holds no graph`);
  await checkExternalData(modelPath, graph.initializer ?? []);

  const domains = new Set<string>();
  const ops = new Set<string>();
  for (const node of graph.node ?? []) {
    domains.add(node.domain ?? "");
    ops.add(`${node.domain ?? ""}:${node.opType}`);
  }
  return { inputs: valueInfos(graph.input ?? []), outputs: valueInfos(graph.output ?? []), domains, ops };
}

function valueInfos(values: onnx.IValueInfoProto[]): Map<string, ValueInfo> {
  const map = new Map<string, ValueInfo>();
  for (const v of values) {
    const tensor = v.type?.tensorType;
    const dims = (tensor?.shape?.dim ?? []).map((d) =>
      d.dimValue != null && Number(d.dimValue) > 0 ? Number(d.dimValue) : d.dimParam || "?",
    );
    map.set(v.name ?? "", { name: v.name ?? "", type: ELEMENT_TYPES[tensor?.elemType ?? 0] ?? `type ${tensor?.elemType}`, dims });
  }
  return map;
}

/** Where each external-data file must reach: the furthest offset + length any tensor names. */
async function checkExternalData(modelPath: string, initializers: onnx.ITensorProto[]): Promise<void> {
  const folder = path.dirname(modelPath);
  const needed = new Map<string, number>();
  for (const tensor of initializers) {
    if (tensor.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const entry = Object.fromEntries((tensor.externalData ?? []).map((e) => [e.key, e.value ?? ""]));
    const location = entry.location;
    if (!location) throw new Error(`tensor ${tensor.name} has external data without a location`);
    // A model file must not make the runtime read outside its own folder.
    const file = path.resolve(folder, location);
    if (path.isAbsolute(location) || path.relative(folder, file).startsWith("..")) {
      throw new Error(`tensor ${tensor.name} points outside the model folder (${location})`);
    }
    const end = Number(entry.offset ?? 0) + Number(entry.length ?? 0);
    needed.set(file, Math.max(needed.get(file) ?? 0, end));
  }
  for (const [file, end] of needed) {
    const size = await stat(file).then(
      (s) => s.size,
      () => undefined,
    );
    if (size === undefined) throw new Error(`the external data file ${path.basename(file)} is missing`);
    if (size < end) {
      throw new Error(`the external data file ${path.basename(file)} is truncated (${size} bytes, tensors need ${end})`);
    }
  }
}
