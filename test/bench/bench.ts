// npm run bench [-- overhead | backends | kv-buffer | download | completions | contention | roles]: prints the figures of each benchmark (all by default).
//   overhead   Squeeze's HTTP server and engine worker against node-llama-cpp called directly
//   backends   onnxruntime int4 against llama.cpp Q4_0 at several context lengths
//   kv-buffer  what one onnxruntime decode step costs as the shared KV buffer grows
//   download   pulling a 1 GiB file from a local hub against curl fetching the same file
//   completions  a typing session replayed through the inline-completion logic (also npm run bench:completions)
//   contention   several clients at once: chats, completions beside a chat, bursts (beside llama-server when SQUEEZE_BENCH_LLAMA_SERVER is set)
//   roles      a llama.cpp chat model alone against the same beside an ONNX completion model in one server
import { benchBackends } from "./backends";
import { benchCompletions } from "./completions";
import { benchContention } from "./contention";
import { benchDownload } from "./download";
import { benchKvBuffer } from "./kvBuffer";
import { benchRoles } from "./roles";
import { benchServerOverhead } from "./serverOverhead";

const BENCHES: Record<string, () => Promise<void>> = {
  overhead: benchServerOverhead,
  backends: benchBackends,
  "kv-buffer": benchKvBuffer,
  download: benchDownload,
  completions: benchCompletions,
  contention: benchContention,
  roles: benchRoles,
};

async function main(): Promise<void> {
  const chosen = process.argv.slice(2);
  const unknown = chosen.filter((name) => !(name in BENCHES));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(", ")}; choose from ${Object.keys(BENCHES).join(", ")}`);
  for (const name of chosen.length > 0 ? chosen : Object.keys(BENCHES)) {
    console.log(`\n## ${name}\n`);
    await BENCHES[name]();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
