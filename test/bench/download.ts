// Download throughput: Squeeze's pull (through @huggingface/hub, hashing and writing into the
// Hugging Face cache) against curl fetching the same file from the same local hub in the same
// run, alternating which goes first. curl neither verifies nor links; "curl+sha256sum" adds the
// check Squeeze makes. The hub runs in its own process so no client shares its event loop.
// Three links: the hub's full local speed (the CPU is the limit on a 2-core machine, shared with
// the hub), 300 MB/s, and 100 MB/s (a fast home connection), where the network is the limit.
import { execFile, spawn } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, open, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { promisify } from "node:util";
import { pickVariantForMachine } from "../../src/core/selection/pickVariant";
import { ModelStore } from "../../src/core/store/modelStore";
import type { Fault } from "../helpers/localHub";
import { ROOT } from "../helpers/paths";
import { median, rotate } from "./stats";

const REPO = "bench/Bench-GGUF";
const FILE = "bench-q4_k_m.gguf";
const run = promisify(execFile);

const LINKS: { name: string; sizeMiB: number; rounds: number; faults: Fault[] }[] = [
  { name: "local hub at full speed", sizeMiB: 1024, rounds: 5, faults: [] },
  { name: "local hub behind a 300 MB/s link", sizeMiB: 512, rounds: 3, faults: [{ kind: "slow", bytesPerSecond: 300e6 }] },
  { name: "local hub behind a 100 MB/s link", sizeMiB: 256, rounds: 3, faults: [{ kind: "slow", bytesPerSecond: 100e6 }] },
];

export async function benchDownload(): Promise<void> {
  for (const link of LINKS) await benchLink(link);
}

async function benchLink(link: (typeof LINKS)[number]): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "squeeze-bench-dl-"));
  const size = link.sizeMiB * 2 ** 20;
  const hub = await startHub(dir, size, link.faults);
  try {
    const url = `${hub.url}/${REPO}/resolve/main/${FILE}`;
    const out = path.join(dir, "curl.bin");
    const runs: Record<string, () => Promise<number>> = {
      curl: () => curl(url, out),
      "curl+sha256sum": async () => {
        const start = performance.now();
        await curl(url, out);
        await run("sha256sum", [out]);
        return size / ((performance.now() - start) / 1000);
      },
      squeeze: () => pull(hub.url, path.join(dir, "cache"), size),
    };
    const names = Object.keys(runs);
    const rates: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
    console.log(`${link.name}: ${link.sizeMiB} MiB, ${link.rounds} rounds, MB/s (10^6 bytes)\n`);
    console.log(`round   ${names.map((n) => n.padEnd(16)).join("")}squeeze/curl  squeeze/(curl+sha256sum)`);
    const row = (label: string, values: Record<string, number>) =>
      console.log(`${label.padEnd(8)}${names.map((n) => (values[n] / 1e6).toFixed(0).padEnd(16)).join("")}${(values.squeeze / values.curl).toFixed(2).padEnd(14)}${(values.squeeze / values["curl+sha256sum"]).toFixed(2)}`);
    for (let round = 0; round < link.rounds; round++) {
      for (const name of rotate(names, round)) rates[name].push(await runs[name]());
      row(String(round + 1), Object.fromEntries(names.map((n) => [n, rates[n][round]])));
    }
    row("median", Object.fromEntries(names.map((n) => [n, median(rates[n])])));
    console.log("(target: squeeze/curl >= 0.90)\n");
  } finally {
    hub.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

async function curl(url: string, out: string): Promise<number> {
  await rm(out, { force: true });
  const { stdout } = await run("curl", ["-sS", "-L", "--fail", "-o", out, "-w", "%{speed_download}", url]);
  return Number(stdout);
}

/** Bytes per second of a whole pull into an empty cache: resolve, download, hash, verify, link. */
async function pull(hubUrl: string, cacheDir: string, size: number): Promise<number> {
  await rm(cacheDir, { recursive: true, force: true });
  const store = new ModelStore({ endpoint: hubUrl, cacheDir, offline: false }, path.join(cacheDir, "models.json"), pickVariantForMachine);
  const start = performance.now();
  await store.pull(`hf.co/${REPO}:Q4_K_M`);
  return size / ((performance.now() - start) / 1000);
}

async function startHub(dir: string, size: number, faults: Fault[]): Promise<{ url: string; stop(): void }> {
  const file = path.join(dir, FILE);
  const handle = await open(file, "w");
  const chunk = Buffer.alloc(16 * 1024 * 1024);
  for (let written = 0; written < size; written += chunk.length) await handle.write(randomFillSync(chunk));
  await handle.close();
  const config = path.join(dir, "hub.json");
  await writeFile(config, JSON.stringify({ repos: [{ id: REPO, files: [{ path: FILE, file }] }], faults }));
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "test/helpers/localHubProcess.ts"), config], { stdio: ["pipe", "pipe", "inherit"] });
  const [line] = (await once(createInterface({ input: child.stdout! }), "line")) as [string];
  return { url: (JSON.parse(line) as { url: string }).url, stop: () => child.kill() };
}
