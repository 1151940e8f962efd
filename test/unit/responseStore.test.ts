// The memory behind previous_response_id: bounded by count and by text, the oldest forgotten first.
import assert from "node:assert/strict";
import { ResponseStore } from "../../src/core/server/routes/responses/responseStore";

const entry = (text: string) => ({ response: { id: text }, conversation: [{ role: "user" as const, content: text }] });

describe("response store", () => {
  it("forgets the oldest responses beyond its count", () => {
    const store = new ResponseStore({ responses: 2, text: 1000 });
    for (const id of ["a", "b", "c"]) store.put(id, entry(id));
    assert.equal(store.get("a"), undefined);
    assert.deepEqual(store.get("c")?.conversation, [{ role: "user", content: "c" }]);
    assert.ok(store.get("b"));
  });

  it("forgets the oldest responses beyond its text, counting tool calls' arguments", () => {
    const store = new ResponseStore({ responses: 10, text: 10 });
    store.put("a", entry("xxxx"));
    store.put("b", { response: {}, conversation: [{ role: "assistant", content: "", toolCalls: [{ id: "1", name: "f", arguments: "yyyy" }] }] });
    store.put("c", entry("zzzz"));
    assert.equal(store.get("a"), undefined, "12 characters are over 10");
    assert.ok(store.get("b") && store.get("c"));
    assert.equal(store.delete("b"), true);
    store.put("d", entry("wwwwww"));
    assert.ok(store.get("c") && store.get("d"), "deleting gave its text back");
  });
});
