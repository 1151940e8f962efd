// How a window restarts a server that stopped unexpectedly: growing waits, then giving up when it
// stops too often in a short time, and starting afresh once the user starts it.
import assert from "node:assert/strict";
import { RestartBudget } from "../../src/editor/restartBudget";

describe("restarting a server that stopped unexpectedly", function () {
  it("waits longer each time, and gives up after five ends within two minutes", function () {
    const budget = new RestartBudget();
    const waits = [0, 1, 2, 3, 4].map((i) => budget.stopped(1_000 + i * 10_000));
    assert.deepEqual(waits.map((v) => (v.restart ? v.waitMs : -1)), [250, 1000, 2000, 4000, 8000]);
    assert.deepEqual(waits.map((v) => v.restart && v.attempt), [1, 2, 3, 4, 5]);
    assert.deepEqual(budget.stopped(60_000), { restart: false, stops: 6, minutes: 2 });
  });

  it("forgets ends older than two minutes", function () {
    const budget = new RestartBudget();
    for (let i = 0; i < 5; i++) budget.stopped(i * 1000);
    const later = budget.stopped(200_000);
    assert.ok(later.restart && later.attempt === 1 && later.waitMs === 250, JSON.stringify(later));
  });

  it("starts afresh when the user starts the server", function () {
    const budget = new RestartBudget();
    for (let i = 0; i < 6; i++) budget.stopped(i);
    assert.equal(budget.stopped(10).restart, false);
    budget.reset();
    assert.deepEqual(budget.stopped(20), { restart: true, attempt: 1, of: 5, waitMs: 250 });
  });
});
