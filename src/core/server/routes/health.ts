// GET /health: liveness plus what is loaded. Also how a second server recognises a running Squeeze.
import type { RequestHandler } from "express";
import type { ModelPool } from "../../engine/modelPool";
import type { ServerLife } from "../serverLife";

export function health(pool: ModelPool, version: string, life: ServerLife): RequestHandler {
  return (_req, res) => {
    res.json(healthFields(pool, version, life));
  };
}

/**
 * Squeeze's own fields, which Lemonade's /api/v1/health keeps beside its own. `model` and its
 * facts are the chat model's (the only one, when one is loaded); `roles` names each role's model.
 */
export function healthFields(pool: ModelPool, version: string, life: ServerLife) {
  const model = pool.forRole("chat")?.info;
  const role = (name: "chat" | "completion") => pool.list().find((m) => m.roles.has(name))?.info.id ?? null;
  // "degraded" while a model's engine is down: it died or stopped answering, and comes back with the next request.
  const down = pool.list().some((m) => m.engine.health().state === "stopped");
  return {
    status: down ? "degraded" : "ok",
    server: "Squeeze",
    version,
    model: model?.id ?? null,
    backend: model?.backend ?? null,
    context_size: model?.contextSize ?? null,
    gpu: model ? model.gpu : null,
    models: pool.list().map((m) => m.info.id),
    roles: { chat: role("chat") ?? model?.id ?? null, completion: role("completion") ?? model?.id ?? null },
    pid: process.pid,
    /** Still loading the models it starts with: no model yet does not mean none will come. */
    starting: life.starting,
    /** What it could not load, in words for the user (a model to download, say). */
    notice: life.notice ?? null,
    /** Models loaded since it started. */
    loads: pool.loadsDone,
    /** Seconds it stays once no editor window is attached; null: started by hand, it stays. */
    keep_alive_s: life.keepAliveMs === undefined ? null : life.keepAliveMs / 1000,
    windows: life.attachedWindows,
  };
}
