// What a completion's prompt can reuse of its sequence's cache past the first difference: runs of
// cached tokens that it holds further on, moved back into place (llama.cpp's --cache-reuse).
import assert from "node:assert/strict";
import fc from "fast-check";
import { MIN_REUSED_RUN, planReuse } from "../../src/core/backends/llamacpp/cacheReuse";

const PRE = 1;
const SUF = 2;
const MID = 3;
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);
/** A prefix-suffix-middle prompt without its last token (the middle marker always runs again). */
const psm = (prefix: number[], suffix: number[]) => [PRE, ...prefix, SUF, ...suffix];

/** The cache after the plan's erasures, as node-llama-cpp leaves it. */
function erased(cached: number[], plan: ReturnType<typeof planReuse>): number[] {
  return cached.filter((_, i) => !plan.erase.some((r) => i >= r.start && i < r.end));
}

describe("KV cache reuse past the first difference", () => {
  const suffix = range(500, 40);
  const prefix = range(100, 300);
  const generated = [7, 8, 9, 10];

  it("keeps the code below the prefix window's old start when the window moves on", () => {
    const cached = [...psm(prefix, suffix), MID, ...generated];
    const moved = psm([...prefix.slice(120), 42], suffix);
    const plan = planReuse(cached, moved);
    assert.deepEqual(plan.erase, [
      { start: 1, end: 121 },
      { start: 301, end: cached.length },
    ]);
    assert.equal(plan.kept, 181, "the marker and the 180 lines' tokens kept; the typed token and the suffix evaluated");
    assert.deepEqual(erased(cached, plan), moved.slice(0, plan.kept));
  });

  it("keeps what follows a deletion, and more than one run", () => {
    const cached = [...psm(prefix, suffix), MID];
    const deleted = psm([...prefix.slice(0, 100), ...prefix.slice(110, 200), ...prefix.slice(220)], suffix);
    const plan = planReuse(cached, deleted);
    assert.equal(plan.kept, deleted.length, "the whole prompt from the cache");
    assert.deepEqual(erased(cached, plan), deleted);
  });

  it("keeps only the common start after an insertion: runs cannot move forward", () => {
    const cached = [...psm(prefix, suffix), MID];
    const plan = planReuse(cached, psm([...prefix.slice(0, 150), 42, ...prefix.slice(150)], suffix));
    assert.equal(plan.kept, 151);
    assert.deepEqual(plan.erase, [{ start: 151, end: cached.length }]);
  });

  it("moves no run shorter than the least worth moving", () => {
    const short = range(700, MIN_REUSED_RUN - 1);
    const cached = [...psm(prefix, []), ...range(900, 30), ...short];
    assert.equal(planReuse(cached, [...psm(prefix, []), ...short]).kept, psm(prefix, []).length);
  });

  it("always leaves the cache holding the prompt's start, in order", () => {
    const tokens = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 120 });
    fc.assert(
      fc.property(tokens, tokens, fc.integer({ min: 1, max: 20 }), (cached, prompt, minRun) => {
        const plan = planReuse(cached, prompt, minRun);
        assert.deepEqual(erased(cached, plan), prompt.slice(0, plan.kept));
        for (const [a, b] of plan.erase.slice(1).map((r, i) => [plan.erase[i]!, r] as const)) assert.ok(a.end < b.start, "ranges apart and in order");
      }),
    );
  });
});
