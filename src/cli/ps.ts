// `squeeze ps`: what the server on this machine has loaded and how busy each model is, from its
// /api/v1/health, as `ollama ps` shows it.
import { parseArgs } from "node:util";
import { healthSchema } from "../core/protocol/api";
import { probeSqueeze, serverUrl } from "../core/server/serverAddress";
import { fetch } from "undici";
import { provenAgent } from "../core/trust/provenConnections";
import { userSecret } from "../core/trust/userSecret";
import { intOption } from "./usage";

export const PS_HELP = `Usage: squeeze ps [--port <n>] [--host <addr>] [--api-key <key>] [--json]

Shows the models the Squeeze server has loaded: backend, device, context, the
generations it runs at once, and the requests running and waiting now; then the
server's process, and whether an editor started it (and when it exits). A
program on the port that cannot prove it is your server (it does not hold your
Squeeze secret) is named and sent nothing, the API key included.

Options:
  -p, --port <n>       the server's port (default 8000)
      --host <addr>    the server's address (default 127.0.0.1)
      --api-key <key>  the server's API key, if it needs one (or set SQUEEZE_API_KEY)
      --json           print the server's answer as JSON
  -h, --help           show this help
`;

export async function ps(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      port: { type: "string", short: "p" },
      host: { type: "string" },
      "api-key": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return void process.stdout.write(PS_HELP);
  const url = serverUrl(values.host ?? "127.0.0.1", intOption("port", values.port, 1, 65535) ?? 8000);
  const key = values["api-key"] ?? (process.env.SQUEEZE_API_KEY?.trim() || undefined);
  // The key goes only to a server that proved it holds the user's secret, over a connection it proved itself on.
  const secret = await userSecret();
  const holder = await probeSqueeze(url, secret);
  if (!holder) throw new Error(`no Squeeze server answers at ${url} (start one with "squeeze serve")`);
  if (!holder.proven) throw new Error(`the program at ${url} answers like a Squeeze server but cannot prove it is yours (another user's, or an impostor): nothing was sent to it`);
  const agent = provenAgent(secret);
  const res = await fetch(`${url}/api/v1/health`, { headers: key ? { authorization: `Bearer ${key}` } : {}, signal: AbortSignal.timeout(5000), dispatcher: agent })
    .catch((err: Error) => {
      throw new Error(`the server at ${url} could not be asked: ${err.cause instanceof Error ? err.cause.message : err.message}`);
    });
  const parsed = healthSchema.safeParse(await res.json().catch(() => undefined));
  await agent.close();
  const loaded = parsed.data?.all_models_loaded?.flatMap(({ model_name, squeeze }) => (squeeze ? [{ model_name, squeeze }] : []));
  if (!res.ok || !parsed.success || !loaded) {
    throw new Error(`the server at ${url} is not a Squeeze server of this version that answers health (HTTP ${res.status})`);
  }
  const body = parsed.data;
  if (values.json) return void process.stdout.write(`${JSON.stringify(loaded, null, 2)}\n`);
  const rows = loaded.map(({ model_name, squeeze: s }) => [
    model_name,
    s.backend,
    s.device.toUpperCase(),
    String(s.context_size),
    s.completion_sequences > 0 ? `${s.parallel} + ${s.completion_sequences} for completions` : String(s.parallel),
    String(s.requests_running),
    String(s.requests_waiting),
  ]);
  const header = ["MODEL", "BACKEND", "DEVICE", "CONTEXT", "AT ONCE", "RUNNING", "WAITING"];
  if (rows.length === 0) process.stdout.write(`no model is loaded at ${url}\n`);
  else {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    for (const row of [header, ...rows]) process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd()}\n`);
  }
  if (body.pid !== undefined) process.stdout.write(`${lifeLine(body.pid, body.keep_alive_s ?? null, body.windows ?? 0)}\n`);
}

/** Who started the server, and how long it stays. */
function lifeLine(pid: number, keepAlive: number | null, windows: number): string {
  if (keepAlive === null) return `server pid ${pid}, started by hand: it runs until stopped`;
  const attached = `${windows} editor window${windows === 1 ? "" : "s"} attached`;
  return `server pid ${pid}, started by an editor (${attached}): it exits ${keepAlive === 0 ? "with the last window" : `${keepAlive} s after the last window`}`;
}
