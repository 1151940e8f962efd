// Where a Squeeze server is and whether one answers there: what clients (the editor, `squeeze ps`)
// need without the server itself.

/** Who answers a port's /health as a Squeeze server. */
export interface SqueezeHolder {
  version: string;
  model: string | null;
}

const PROBE_TIMEOUT_MS = 2000;

/** The URL clients use for a server bound to `host` (loopback for a wildcard address). */
export function serverUrl(host: string, port: number): string {
  const reachable = host === "0.0.0.0" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return `http://${reachable.includes(":") ? `[${reachable}]` : reachable}:${port}`;
}

/** Who answers /health at `baseUrl`: a Squeeze server, or undefined for anything else or nothing. */
export async function probeSqueeze(baseUrl: string): Promise<SqueezeHolder | undefined> {
  try {
    const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
    const body = (await res.json()) as { server?: unknown; version?: unknown; model?: unknown };
    if (body.server !== "Squeeze") return undefined;
    return { version: String(body.version), model: typeof body.model === "string" ? body.model : null };
  } catch {
    return undefined; // Not HTTP, not JSON, or too slow: some other program.
  }
}
