// The engine's scheduler on its own: slots per kind, completions first, exclusive turns, the bound.
import assert from "node:assert/strict";
import { EngineError } from "../../src/core/protocol/errors";
import { type Release, Scheduler, type TurnKind } from "../../src/core/engine/scheduler";

/** Enters and records the order in which turns are granted. */
function recorder(scheduler: Scheduler) {
  const granted: string[] = [];
  const enter = (name: string, kind: TurnKind | "exclusive", signal?: AbortSignal): Promise<Release> =>
    scheduler.enter(kind, signal).then((release) => {
      granted.push(name);
      return release;
    });
  return { granted, enter };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe("the engine's scheduler", function () {
  it("runs as many generations at once as the model has slots, and queues the rest in order", async function () {
    const scheduler = new Scheduler(8);
    scheduler.setSlots({ generation: 2, fim: 0 });
    const { granted, enter } = recorder(scheduler);
    const a = enter("a", "generation");
    const b = enter("b", "generation");
    void enter("c", "generation");
    void enter("d", "generation");
    await settle();
    assert.deepEqual(granted, ["a", "b"]);
    assert.equal(scheduler.active, 2);
    assert.equal(scheduler.length, 2);
    (await b)();
    await settle();
    assert.deepEqual(granted, ["a", "b", "c"]);
    (await a)();
    await settle();
    assert.deepEqual(granted, ["a", "b", "c", "d"]);
  });

  it("lets completions pass waiting generations where they share the slots", async function () {
    const scheduler = new Scheduler(8);
    const { granted, enter } = recorder(scheduler);
    const first = enter("chat-1", "generation");
    void enter("chat-2", "generation");
    void enter("fim", "fim");
    await settle();
    (await first)();
    await settle();
    assert.deepEqual(granted, ["chat-1", "fim"]);
  });

  it("starts a completion at once on its own slots, however many generations run or wait", async function () {
    const scheduler = new Scheduler(8);
    scheduler.setSlots({ generation: 1, fim: 1 });
    const { granted, enter } = recorder(scheduler);
    void enter("chat-1", "generation");
    void enter("chat-2", "generation");
    const fim = enter("fim-1", "fim");
    void enter("fim-2", "fim");
    await settle();
    assert.deepEqual(granted, ["chat-1", "fim-1"]);
    (await fim)();
    await settle();
    assert.deepEqual(granted, ["chat-1", "fim-1", "fim-2"]);
  });

  it("gives an exclusive turn once all running work is done, and holds later work until it ends", async function () {
    const scheduler = new Scheduler(8);
    scheduler.setSlots({ generation: 2, fim: 0 });
    const { granted, enter } = recorder(scheduler);
    const running = enter("chat", "generation");
    const load = enter("load", "exclusive");
    void enter("after", "generation");
    await settle();
    assert.deepEqual(granted, ["chat"], "the load waits for the chat; the later chat waits for the load");
    (await running)();
    await settle();
    assert.deepEqual(granted, ["chat", "load"]);
    (await load)();
    await settle();
    assert.deepEqual(granted, ["chat", "load", "after"]);
  });

  it("refuses at once past its bound, never an exclusive turn, and frees the place of a caller who left", async function () {
    const scheduler = new Scheduler(1);
    const { enter } = recorder(scheduler);
    await enter("running", "generation");
    const controller = new AbortController();
    const waiting = enter("waiting", "generation", controller.signal);
    assert.throws(() => scheduler.enter("generation"), (e: unknown) => e instanceof EngineError && e.code === "queue_full");
    void scheduler.enter("exclusive");
    controller.abort();
    await assert.rejects(waiting, (e: unknown) => e instanceof EngineError && e.code === "cancelled");
    assert.equal(scheduler.length, 0);
    assert.doesNotThrow(() => void scheduler.enter("generation"), "the place is free again");
  });
});
