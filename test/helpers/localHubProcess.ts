// Runs a LocalHub in its own process, so a benchmark's client and the server do not share an
// event loop. Usage: tsx test/helpers/localHubProcess.ts config.json
// Prints {"url":"http://127.0.0.1:PORT"} once listening; exits on SIGTERM/SIGINT or when stdin closes
// (so it dies with a parent that spawned it with a piped stdin).
import fs from "node:fs";
import { LocalHub, type Fault } from "./localHub";

export interface HubRepoConfig {
  id: string;
  gated?: boolean;
  sha?: string;
  /** `file` is a path on disk, streamed. */
  files: { path: string; file: string; lfs?: boolean; declaredSize?: number }[];
}

export interface LocalHubProcessConfig {
  repos: HubRepoConfig[];
  port?: number;
  token?: string;
  pageSize?: number;
  /** Injected at start, e.g. a "slow" fault standing for a link of a given speed. */
  faults?: Fault[];
}

async function main(): Promise<void> {
  const configPath = process.argv[2];
  if (!configPath) throw new Error("usage: localHubProcess.ts <config.json>");
  const config = JSON.parse(fs.readFileSync(configPath, "utf8")) as LocalHubProcessConfig;
  const hub = new LocalHub({ token: config.token, pageSize: config.pageSize });
  for (const repo of config.repos) hub.addRepo(repo);
  for (const fault of config.faults ?? []) hub.inject(fault);
  const url = await hub.start(config.port ?? 0);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void hub.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 2000).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.stdin.on("end", stop);
  process.stdin.on("close", stop);
  process.stdin.on("error", stop);
  process.stdin.resume();

  process.stdout.write(JSON.stringify({ url }) + "\n");
}

main().catch((err: unknown) => {
  process.stderr.write(`localHubProcess: ${(err as Error)?.stack ?? err}\n`);
  process.exit(1);
});
