// GET /health: liveness plus what is loaded. Also how a second server recognises a running Squeeze.
import type { RequestHandler } from "express";
import type { ModelPool, ModelRole } from "../../engine/modelPool";
import type { HealthFields } from "../../protocol/api";
import type { ServerLife } from "../serverLife";

export function health(pool: ModelPool, version: string, life: ServerLife): RequestHandler {
  return (_req, res) => {
    res.json(healthFields(pool, version, life));
  };
}

/**
 * Squeeze's own fields (protocol/api.ts says what each means), which Lemonade's /api/v1/health
 * keeps beside its own. `model` and its facts are the chat model's; `roles` names each role's model.
 */
export function healthFields(pool: ModelPool, version: string, life: ServerLife): HealthFields {
  const model = pool.forRole("chat")?.info;
  const role = (name: ModelRole) => pool.list().find((m) => m.roles.has(name))?.info.id ?? null;
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
    roles: {
      chat: role("chat") ?? model?.id ?? null,
      completion: role("completion") ?? model?.id ?? null,
      ...Object.fromEntries((["embedding", "rerank"] as const).map((r) => [r, role(r)]).filter(([, id]) => id)),
    },
    pid: process.pid,
    starting: life.starting,
    notice: life.notice ?? null,
    loads: pool.loadsDone,
    keep_alive_s: life.keepAliveMs === undefined ? null : life.keepAliveMs / 1000,
    windows: life.attachedWindows,
  };
}
