// An HTTP agent whose every new connection proves it reached the user's own server before any
// request goes over it. Proving the server once is not enough: when it stops, another program can
// take the port before the client notices, and the client's next request would carry code or the
// key to it. Here each TCP connection first asks for the proof (GET /api/v1/prove); one that does
// not give it is closed and the request fails unsent.
import type { Socket } from "node:net";
import { Agent, buildConnector, fetch } from "undici";
import { newNonce, type UserSecret } from "./userSecret";

const PROOF_TIMEOUT_MS = 2000;
/** A proof answer is a few hundred bytes; anything far larger is not one. */
const MAX_ANSWER_BYTES = 16 * 1024;

export class UnprovenServerError extends Error {
  constructor(readonly port: number, reason: string) {
    super(`the program on port ${port} did not prove it is your Squeeze server (${reason}), so nothing was sent to it`);
    this.name = "UnprovenServerError";
  }
}

export function provenAgent(secret: UserSecret): Agent {
  const connect = buildConnector({});
  return new Agent({
    connect: (options, callback) => {
      connect(options, (err, socket) => {
        if (err) return callback(err, null);
        const port = Number(options.port);
        proveOn(socket as Socket, options.hostname, port, secret).then(
          () => callback(null, socket),
          (failure: Error) => {
            socket.destroy();
            callback(failure instanceof UnprovenServerError ? failure : new UnprovenServerError(port, failure.message), null);
          },
        );
      });
    },
  });
}

/** Whether the server at `baseUrl` proves it is the user's: one connection of a proven agent, opened and closed. */
export async function proves(baseUrl: string, secret: UserSecret): Promise<boolean> {
  const agent = provenAgent(secret);
  try {
    const res = await fetch(`${baseUrl}/health`, { dispatcher: agent, signal: AbortSignal.timeout(2 * PROOF_TIMEOUT_MS) });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  } finally {
    await agent.close();
  }
}

/** One request and its answer on a fresh socket, read by hand: the socket is then handed on, clean. */
function proveOn(socket: Socket, hostname: string, port: number, secret: UserSecret): Promise<void> {
  const nonce = newNonce();
  const host = hostname.includes(":") ? `[${hostname}]` : hostname;
  return new Promise<void>((resolve, reject) => {
    let received = Buffer.alloc(0);
    const done = (failure?: Error) => {
      clearTimeout(timer);
      socket.off("data", onData);
      socket.off("error", onFailure);
      socket.off("close", onClose);
      if (failure) return reject(failure);
      socket.pause();
      resolve();
    };
    const onFailure = (err: Error) => done(err);
    const onClose = () => done(new Error("it closed the connection"));
    const onData = (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length > MAX_ANSWER_BYTES) return done(new Error("its answer is too large"));
      const answer = parseAnswer(received);
      if (answer === "partial") return;
      if (answer instanceof Error) return done(answer);
      const proof = (answer as { proof?: unknown }).proof;
      done(typeof proof === "string" && secret.provesFor(nonce, port, proof) ? undefined : new Error("its proof does not match your secret"));
    };
    const timer = setTimeout(() => done(new Error(`no proof within ${PROOF_TIMEOUT_MS / 1000} s`)), PROOF_TIMEOUT_MS);
    socket.on("data", onData);
    socket.on("error", onFailure);
    socket.on("close", onClose);
    socket.write(`GET /api/v1/prove?nonce=${nonce} HTTP/1.1\r\nHost: ${host}:${port}\r\nAccept: application/json\r\n\r\n`);
  });
}

/** A complete HTTP/1.1 answer's JSON body, "partial" while more is to come, or what is wrong with it. */
function parseAnswer(bytes: Buffer): unknown {
  const end = bytes.indexOf("\r\n\r\n");
  if (end < 0) return "partial";
  const [status, ...headers] = bytes.subarray(0, end).toString("latin1").split("\r\n");
  if (!/^HTTP\/1\.1 200 /.test(status ?? "")) return new Error(`it answered ${status}`);
  const length = Number(headers.find((h) => /^content-length:/i.test(h))?.split(":")[1]);
  if (!Number.isInteger(length)) return new Error("its answer has no Content-Length");
  const body = bytes.subarray(end + 4);
  if (body.length < length) return "partial";
  // Bytes beyond the answer would be read by the next request as its own.
  if (body.length > length) return new Error("it sent more than its answer");
  try {
    return JSON.parse(body.toString("utf8")) as unknown;
  } catch {
    return new Error("its answer is not JSON");
  }
}
