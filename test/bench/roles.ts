// Models per role in one server: does an ONNX completion model, loaded beside a llama.cpp chat
// model in the same process (its own worker thread), slow the chat? `squeeze bench` once saw
// llama.cpp decode at half speed with an ONNX engine beside it. Two servers, the chat model alone
// and the two roles together (the ONNX model having answered once, as in a session), taking turns
// round by round; medians of BENCH_ROLES_ROUNDS rounds of 128-token chats.
import path from "node:path";
import { QWEN05 } from "../helpers/paths";
import { startSqueeze } from "../helpers/squeezeProcess";
import { median, rotate, sample } from "./stats";
import { streamRequest } from "./streamRequest";

const ROUNDS = Number(process.env.BENCH_ROLES_ROUNDS ?? 5);
const ONNX = path.join(path.dirname(QWEN05), "qwen05-int4-onnx");

export async function benchRoles(): Promise<void> {
  const servers = [
    { name: "chat model alone", squeeze: await startSqueeze(["--model", QWEN05]) },
    { name: "beside an ONNX completion model", squeeze: await startSqueeze(["--chat-model", QWEN05, "--completion-model", ONNX]) },
  ];
  try {
    const [, together] = servers;
    const fim = await fetch(`${together!.squeeze.url}/v1/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: path.basename(ONNX), prompt: "def area(r):\n    return ", suffix: "\n", max_tokens: 8 }),
    });
    if (!fim.ok) throw new Error(`the ONNX completion model did not answer: ${fim.status} ${await fim.text()}`);
    const rates = new Map<string, number[]>(servers.map((s) => [s.name, []]));
    for (let n = 0; n <= ROUNDS; n++) {
      for (const { name, squeeze } of rotate(servers, n)) {
        const body = { model: squeeze.modelId, messages: [{ role: "user", content: `Round ${n}: tell me the history of computing.` }], max_tokens: 128, temperature: 0, stream: true };
        const s = await streamRequest(`${squeeze.url}/v1/chat/completions`, body);
        // The first round warms both up.
        if (n > 0) rates.get(name)!.push(sample(s.start, s.stamps, s.tokens).decodeTps);
      }
    }
    console.log(`qwen05-q4_0 chat on llama.cpp, ${ROUNDS} rounds taking turns, decode tokens/s (median [range]):`);
    for (const [name, r] of rates) console.log(`  ${name}: ${median(r).toFixed(1)} [${Math.min(...r).toFixed(1)}–${Math.max(...r).toFixed(1)}]`);
    const [alone, beside] = [...rates.values()].map(median);
    console.log(`  beside / alone: ${(beside! / alone!).toFixed(2)}x`);
  } finally {
    for (const { squeeze } of servers) await squeeze.stop();
  }
}
