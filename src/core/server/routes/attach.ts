// GET /api/v1/attach: an editor window holds this stream open for as long as it lives. The server
// counts the windows attached (its keep-alive runs from the last one's leaving), and a window learns
// at once, from the stream's end, that the server is gone. The first event says who the server is;
// a `stopping` event before the end says it shut down on purpose (a stream cut without one: it died).
import type { RequestHandler } from "express";
import type { ServerIdentity } from "../../protocol/api";
import { SseWriter } from "../sse";
import type { ServerLife } from "../serverLife";

/** Often enough that no proxy or client idle timeout closes a quiet stream. */
const ALIVE_EVERY_MS = 15_000;

export function attach(life: ServerLife, identity: Omit<ServerIdentity, "keep_alive_s">): RequestHandler {
  return (_req, res) => {
    const detach = life.attach();
    const stream = new SseWriter(res);
    const keepAlive = life.keepAliveMs;
    const about: ServerIdentity = { ...identity, keep_alive_s: keepAlive === undefined ? null : keepAlive / 1000 };
    void stream.sendEvent("server", about);
    const timer = setInterval(() => res.write(": alive\n\n"), ALIVE_EVERY_MS);
    const unlisten = life.onStopping(async (reason) => {
      await stream.sendEvent("stopping", { reason });
      stream.end();
    });
    // The response's close, not the request's: a request closes once its body is read, while the
    // stream it opened still stands.
    res.once("close", () => {
      clearInterval(timer);
      unlisten();
      detach();
    });
  };
}
