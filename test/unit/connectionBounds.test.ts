// Connections are bounded. A streaming client that stops reading: once the socket's buffers are
// full, the stream waits a bounded time, then cuts the connection (which, on a generation route,
// cancels the generation: see cancel.test.ts); events of a megabyte each fill the kernel's buffers
// fast. A client that never finishes sending its request is answered 408 and cut.
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import express from "express";
import { EngineHost } from "../../src/core/engine/engineHost";
import { ModelPool } from "../../src/core/engine/modelPool";
import { startServer } from "../../src/core/server/server";
import { SseWriter } from "../../src/core/server/sse";
import { NdjsonWriter } from "../../src/core/server/routes/ollama/ndjson";
import { WORKER } from "../helpers/paths";

describe("a streaming client that stops reading", function () {
  this.timeout(30_000);

  for (const [name, open] of [
    ["SSE", (res: express.Response) => new SseWriter(res)],
    ["NDJSON", (res: express.Response) => new NdjsonWriter(res)],
  ] as const) {
    it(`is cut once its buffers stay full for the stall limit (${name})`, async function () {
      const app = express();
      app.locals.stalledReaderMs = 300;
      let sent = 0;
      let cut: () => void;
      const ended = new Promise<void>((resolve) => (cut = resolve));
      app.get("/stream", async (_req, res) => {
        const writer = open(res);
        const big = "x".repeat(1 << 20);
        // Endless, as a generation would be for a client that asked for a lot.
        while (!writer.isClosed) {
          await writer.send({ big });
          sent++;
        }
        cut();
      });
      const server = http.createServer(app);
      server.listen(0, "127.0.0.1");
      await once(server, "listening");
      const socket = net.connect((server.address() as AddressInfo).port, "127.0.0.1");
      try {
        socket.write("GET /stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        socket.pause();
        const started = Date.now();
        await ended;
        assert.ok(sent >= 1 && sent < 200, `${sent} MB were sent before the cut`);
        assert.ok(Date.now() - started < 20_000);
        socket.resume();
        await once(socket, "close");
      } finally {
        socket.destroy();
        server.closeAllConnections();
        server.close();
      }
    });
  }
});

describe("a client that never finishes sending its request", function () {
  this.timeout(30_000);

  it("is answered 408 and cut after the request timeout", async function () {
    const pool = new ModelPool({ createEngine: () => new EngineHost({ workerPath: WORKER }) });
    const server = await startServer(pool, { port: 0, version: "test", requestTimeoutMs: 400 });
    const socket = net.connect(server.port, "127.0.0.1");
    try {
      let answer = "";
      socket.on("data", (d: Buffer) => (answer += d));
      // Headers promise a body that never comes.
      socket.write("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{");
      const started = Date.now();
      await once(socket, "close");
      assert.match(answer, /^HTTP\/1\.1 408/);
      assert.ok(Date.now() - started < 10_000, `cut after ${Date.now() - started} ms`);
    } finally {
      socket.destroy();
      await server.close();
      await pool.dispose();
    }
  });
});
