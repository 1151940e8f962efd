// llama.cpp's own llama-server on qwen05-q4_0.gguf, for the benchmarks that compare with it
// (../shared/tools/build-llama-anchor.sh builds it from node-llama-cpp's own llama.cpp source).
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../src/core/util/ports";
import { QWEN05 } from "../helpers/paths";

export interface LlamaServer {
  url: string;
  stop(): Promise<void>;
}

/** Starts `binary` on the model with as many threads as Squeeze uses, and `args` besides; resolves once it is healthy. */
export async function startLlamaServer(binary: string, args: string[]): Promise<LlamaServer> {
  const port = await freePort();
  const threads = String(Math.min(os.availableParallelism(), 8));
  const child: ChildProcess = spawn(binary, ["-m", QWEN05, "-t", threads, ...args, "--host", "127.0.0.1", "--port", String(port)], {
    env: { ...process.env, LD_LIBRARY_PATH: [path.dirname(binary), process.env.LD_LIBRARY_PATH].filter(Boolean).join(":") },
    stdio: "ignore",
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`llama-server exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/health`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 600) throw new Error("llama-server did not become healthy in 60 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    stop: async () => {
      child.kill("SIGTERM");
      if (child.exitCode === null) await once(child, "exit");
    },
  };
}
