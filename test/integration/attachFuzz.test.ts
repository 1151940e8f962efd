// Property-based fuzzing of GET /api/v1/attach, the stream an editor window holds open for as long
// as it lives: the server's keep-alive counts these windows, so a window counted twice keeps it
// running forever and one never counted (or let go twice) ends it under a window still using it.
// Generated raw requests (any method, path variants, foreign Host and Origin, bodies that match
// their length or not, garbage), several at once, each let go at its own moment: the count is always
// the streams still open, and the server stays and serves.
// ATTACH_FUZZ_RUNS (default 150; 1500 under `npm run fuzz`) and FUZZ_SEED set the run.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { eventually } from "../helpers/eventually";
import { request } from "../helpers/http";
import { TINY } from "../helpers/paths";
import { type SqueezeProcess, startSqueeze } from "../helpers/squeezeProcess";

const RUNS = Number(process.env.ATTACH_FUZZ_RUNS ?? (process.env.npm_lifecycle_event === "fuzz" ? 1500 : 150));
const SEED = Number(process.env.FUZZ_SEED ?? 20261207);
/** How long a connection waits for the server's status line before it counts as unanswered. */
const ANSWER_MS = 1500;

/** When a connection lets go: right after sending, once the status line came, or not during the check. */
type LetGo = "at-once" | "after-status" | "stays";

interface Attempt {
  bytes: Buffer;
  letGo: LetGo;
}

/** Mostly `usual`, sometimes any of `others`: most requests must get through for the count to be tested. */
const mostly = <T>(usual: T, ...others: T[]) => fc.oneof({ weight: 3, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: fc.constantFrom(...others) });

const methods = mostly("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "get", "CONNECT");
const paths = fc.oneof(
  { weight: 3, arbitrary: fc.constant("/api/v1/attach") },
  { weight: 1, arbitrary: fc.constantFrom("/api/v1/attach/", "/API/v1/attach", "/api/v1/attach%00", "/api/v1//attach", "/api/v1/attach/../attach", "*", "http://localhost/api/v1/attach") },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((q) => `/api/v1/attach?${encodeURIComponent(q)}`) },
);
const hosts = mostly<string | undefined>("localhost", "127.0.0.1", "evil.example", "localhost:1", undefined, "");
const origins = mostly<string | undefined>(undefined, "http://evil.example", "null", "vscode-webview://abc", "http://localhost");
// Any bytes in a header's value but line ends (latin1, as HTTP carries them).
const headerValue = fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b.filter((x) => x !== 10 && x !== 13)).toString("latin1"));
const junkHeaders = fc.oneof({ weight: 2, arbitrary: fc.constant([]) }, { weight: 1, arbitrary: fc.array(fc.tuple(fc.stringMatching(/^[A-Za-z-]{1,20}$/), headerValue), { minLength: 1, maxLength: 3 }) });
const bodies = fc.oneof({ weight: 3, arbitrary: fc.constant("") }, { weight: 1, arbitrary: fc.string({ maxLength: 200 }) }, { weight: 1, arbitrary: fc.json({ maxDepth: 3 }) });

const wellFormed: fc.Arbitrary<Buffer> = fc
  .record({ method: methods, path: paths, host: hosts, origin: origins, junk: junkHeaders, body: bodies, lengthOff: mostly(0, 5, -1), json: mostly(false, true) })
  .map(({ method, path, host, origin, junk, body, lengthOff, json }) => {
    const lines = [`${method} ${path} HTTP/1.1`];
    if (host !== undefined) lines.push(`Host: ${host}`);
    if (origin !== undefined) lines.push(`Origin: ${origin}`);
    if (json) lines.push("Content-Type: application/json");
    for (const [name, value] of junk) lines.push(`X-${name}: ${value}`);
    const payload = Buffer.from(body);
    // A declared length longer than the body leaves the server waiting for the rest.
    if (payload.length > 0 || lengthOff !== 0) lines.push(`Content-Length: ${Math.max(0, payload.length + lengthOff)}`);
    return Buffer.concat([Buffer.from(`${lines.join("\r\n")}\r\n\r\n`, "latin1"), payload]);
  });
const garbage = fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b));
const attempt: fc.Arbitrary<Attempt> = fc.record({
  bytes: fc.oneof({ weight: 5, arbitrary: wellFormed }, { weight: 1, arbitrary: garbage }),
  letGo: fc.oneof({ weight: 2, arbitrary: fc.constant<LetGo>("stays") }, { weight: 1, arbitrary: fc.constantFrom<LetGo>("at-once", "after-status") }),
});

/** A raw connection sending `bytes`: the status code it was answered with, if any, and whether it is still open. */
interface Connection {
  status: number | undefined;
  open: boolean;
  close(): void;
}

function connect(port: number, { bytes, letGo }: Attempt): Promise<Connection> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    const connection: Connection = { status: undefined, open: true, close: () => socket.destroy() };
    let received = "";
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (letGo === "after-status") socket.destroy();
      resolve(connection);
    };
    const timer = setTimeout(settle, ANSWER_MS);
    socket.on("error", () => undefined);
    socket.on("close", () => {
      connection.open = false;
      settle();
    });
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      const status = /^HTTP\/1\.1 (\d{3}) /.exec(received);
      if (status && connection.status === undefined) {
        connection.status = Number(status[1]);
        settle();
      }
    });
    socket.write(bytes, () => {
      if (letGo === "at-once") {
        socket.destroy();
        settle();
      }
    });
  });
}

describe("fuzzing the attach stream that counts editor windows", function () {
  this.timeout(600_000);
  let home: string;
  let squeeze: SqueezeProcess;
  const windows = async () => ((await request(squeeze.url, "/health")).json() as { windows: number }).windows;

  before(async () => {
    home = mkdtempSync(path.join(os.tmpdir(), "squeeze-attach-fuzz-"));
    // A keep-alive longer than the run: a count that fell to 0 too early would end the server.
    squeeze = await startSqueeze(["--model", TINY, "--keep-alive", "3600"], { SQUEEZE_HOME: home });
  });
  after(async () => {
    await squeeze.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it(`counts exactly the streams still open, over ${RUNS} generated runs of attaches (seed ${SEED})`, async () => {
    const port = Number(new URL(squeeze.url).port);
    const statuses = new Map<number | "none", number>();
    await fc.assert(
      fc.asyncProperty(fc.array(attempt, { minLength: 1, maxLength: 6 }), async (attempts) => {
        const connections = await Promise.all(attempts.map((a) => connect(port, a)));
        for (const c of connections) statuses.set(c.status ?? "none", (statuses.get(c.status ?? "none") ?? 0) + 1);
        // A window is a stream the server accepted and that is still open; a HEAD's stream counts too.
        const expected = () => connections.filter((c) => c.open && c.status === 200).length;
        let seen: number | undefined;
        try {
          await eventually(async () => (seen = await windows()) === expected(), () => `${expected()} windows (the server counts ${seen}): ${attempts.map((a) => `${a.letGo} ${JSON.stringify(a.bytes.toString("latin1").slice(0, 120))}`).join("; ")}`, 10_000, 50);
        } finally {
          for (const c of connections) c.close();
        }
        await eventually(async () => (await windows()) === 0, "every window to let go", 10_000, 50);
        assert.equal(squeeze.child.exitCode, null, "the server is still running");
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    console.log(`      answers by status: ${[...statuses].map(([s, n]) => `${s}: ${n}`).join(", ")}`);
    assert.ok((statuses.get(200) ?? 0) > RUNS / 2, "enough streams were accepted for the count to be tested");
    assert.equal((await request(squeeze.url, "/health")).status, 200);
  });
});
