// Listening and shutting down. A busy port is the common failure (a second VS Code window, or
// another local server), so it gets an error that says who holds the port.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ModelPool } from "../engine/modelPool";
import { createApp, type ServerOptions } from "./app";
import { probeSqueeze, serverUrl, type SqueezeHolder } from "./serverAddress";

export interface RunningServer {
  /** Base URL clients can use (loopback when bound to all interfaces), without the /v1 suffix. */
  url: string;
  port: number;
  host: string;
  /** Stops listening and cuts open connections, streams included, so shutdown never hangs. */
  close(): Promise<void>;
}

export class PortInUseError extends Error {
  constructor(readonly host: string, readonly port: number, readonly holder: SqueezeHolder | undefined) {
    super(
      holder?.proven === false
        ? `port ${port} on ${host} is already in use by another program, which answers like a Squeeze server ` +
            "but cannot prove it is yours (another user's, or an impostor): stop it or choose another port"
        : holder
        ? `port ${port} on ${host} is already in use by another Squeeze server (version ${holder.version}, ` +
            `model ${holder.model ?? "none loaded"}): use that server, stop it, or choose another port`
        : `port ${port} on ${host} is already in use by another program (not a Squeeze server): ` +
            "stop it or choose another port",
    );
    this.name = "PortInUseError";
  }
}


/**
 * The most a client may take to send its whole request (headers and body: a 4 MiB body takes
 * milliseconds locally), so that connections left half-sent do not pile up. Answers are not
 * bounded: a long generation is the normal case, and a stream nobody reads is cut by sse.ts.
 */
export const REQUEST_TIMEOUT_MS = 60_000;

export async function startServer(pool: ModelPool, options: ServerOptions): Promise<RunningServer> {
  const host = options.host ?? "127.0.0.1";
  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  const server = createServer(
    { requestTimeout, headersTimeout: requestTimeout, connectionsCheckingInterval: Math.min(5_000, Math.max(50, requestTimeout / 4)) },
    createApp(pool, options),
  );
  try {
    await listen(server, options.port ?? 8000, host);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    const port = options.port ?? 8000;
    throw new PortInUseError(host, port, await probeSqueeze(serverUrl(host, port), options.userSecret));
  }
  // After startup an unhandled 'error' event would take the whole process (the extension host) down.
  server.on("error", (err) => console.error("[squeeze] server error:", err));
  const { port } = server.address() as AddressInfo;
  return {
    url: serverUrl(host, port),
    port,
    host,
    close: () =>
      new Promise<void>((resolve) => {
        // close() alone waits for keep-alive sockets and running streams; cut them.
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
}
