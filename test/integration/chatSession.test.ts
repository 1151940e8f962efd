// The chat view's conversation (src/editor/chat/chatSession.ts) against a real `squeeze serve`
// running the scripted model, which answers every prompt with a known text and then counts on.
import assert from "node:assert/strict";
import { ApiClient } from "../../src/editor/apiClient";
import { ChatHistory, type StateStore, type StoredMessage } from "../../src/editor/chat/chatHistory";
import { ChatSession, contentOf } from "../../src/editor/chat/chatSession";
import { SCRIPTED_ANSWER } from "../fixtures/scripted";
import { eventually } from "../helpers/eventually";
import { SCRIPTED } from "../helpers/paths";
import { type SqueezeProcess, startSqueeze } from "../helpers/squeezeProcess";

const KEY = "chat-session-test-key";

class MapStore implements StateStore {
  readonly values = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    // What VS Code stores is JSON: nothing live survives a reload.
    this.values.set(key, JSON.parse(JSON.stringify(value)));
  }
}

describe("chat session (against squeeze serve with the scripted model)", function () {
  let squeeze: SqueezeProcess;
  let client: ApiClient;
  const logged: string[] = [];

  function session(store = new MapStore(), api = client): ChatSession {
    return new ChatSession({
      client: () => api,
      served: () => ({ model: squeeze.modelId, contextSize: 512 }),
      notice: () => undefined,
      history: new ChatHistory(store),
      log: (m) => logged.push(m),
    });
  }

  /** Stops each answer once the script has streamed and the count has begun. */
  function stopAfterScript(chat: ChatSession): void {
    const texts = new Map<string, string>();
    chat.on("append", (id, piece) => {
      const text = (texts.get(id) ?? "") + piece;
      texts.set(id, text);
      if (text.length > SCRIPTED_ANSWER.length + 20) void chat.stop();
    });
  }

  before(async function () {
    // A small window, so that one long answer pushes the conversation past it.
    squeeze = await startSqueeze(["--model", SCRIPTED, "--ctx-size", "512", "--api-key", KEY]);
    client = new ApiClient(squeeze.url, { token: KEY });
  });

  after(async function () {
    await squeeze.stop();
  });

  it("streams an answer, and Stop ends it at once, keeping what it said", async function () {
    const chat = session();
    const appended: string[] = [];
    chat.on("append", (_id, text) => appended.push(text));
    stopAfterScript(chat);
    await chat.send("Write a function that adds two numbers.");
    const [question, answer] = chat.snapshot().messages;
    assert.equal(question?.role, "user");
    assert.equal(answer?.state, "stopped");
    assert.ok(answer.text.startsWith(SCRIPTED_ANSWER), answer.text);
    assert.equal(appended.join(""), answer.text);
    assert.ok(appended.length > 5, "the answer came in pieces");
    assert.equal(answer.model, squeeze.modelId);
    await eventually(async () => (await client.stats()).requests_in_flight === 0, "the server stopped generating");
  });

  it("sends attached context in fences, and counts its tokens with the model's tokenizer", async function () {
    const chat = session();
    const code = "const fence = '```';\nconsole.log(fence);\n";
    await chat.attach({ kind: "selection", label: "app.js:1-2", detail: "src/app.js:1-2", text: code, language: "javascript" });
    const [chip] = chat.snapshot().chips;
    assert.ok(chip && chip.tokens > 5, `counted ${chip?.tokens}`);
    stopAfterScript(chat);
    await chat.send("What does this do?");
    const snapshot = chat.snapshot();
    assert.deepEqual(snapshot.chips, [], "the context went with the message");
    assert.equal(snapshot.messages[0]?.chips[0]?.label, "app.js:1-2");
    const sent: StoredMessage = { id: "m", role: "user", text: "What does this do?", chips: [{ ...chip, text: code, language: "javascript" }], state: "done", tokens: 0 };
    // The context's own ``` cannot close the fence around it.
    assert.equal(contentOf(sent), "src/app.js:1-2:\n````javascript\n" + code + "````\n\nWhat does this do?");
  });

  it("leaves the oldest messages out once the conversation outgrows the window, and says so", async function () {
    const chat = session();
    // Unstopped, the scripted answer runs until the 512-token context is full.
    await chat.send("First question");
    let snapshot = chat.snapshot();
    assert.equal(snapshot.messages[1]?.state, "done");
    assert.equal(snapshot.messages[1]?.finishReason, "length");
    stopAfterScript(chat);
    await chat.send("Second question");
    snapshot = chat.snapshot();
    assert.equal(snapshot.messages[3]?.state, "stopped", JSON.stringify(snapshot.messages[3]?.error));
    assert.deepEqual(
      snapshot.messages.map((m) => m.excluded),
      [true, true, false, false],
    );
    assert.equal(snapshot.budget.excluded, 2);
    assert.equal(snapshot.budget.window, 512);
    assert.ok(snapshot.budget.used <= 512 - snapshot.budget.reserve, JSON.stringify(snapshot.budget));
  });

  it("keeps the conversation in the store and restores it, a streaming answer as stopped", async function () {
    const store = new MapStore();
    const chat = session(store);
    stopAfterScript(chat);
    await chat.send("Remember me");
    const restored = session(store).snapshot().messages;
    assert.deepEqual(restored, chat.snapshot().messages);
    assert.equal(restored.length, 2);

    store.values.set("squeeze.chat.v1", { messages: [{ ...(store.values.get("squeeze.chat.v1") as { messages: object[] }).messages[1], state: "streaming" }] });
    assert.equal(session(store).snapshot().messages[0]?.state, "stopped");

    store.values.set("squeeze.chat.v1", { messages: [{ role: "robot" }] });
    assert.deepEqual(session(store).snapshot().messages, []);
    assert.match(logged.at(-1) ?? "", /could not be read/);
  });

  it("regenerates the last answer in its place, and New Chat empties the stored conversation", async function () {
    const store = new MapStore();
    const chat = session(store);
    stopAfterScript(chat);
    await chat.send("Once");
    const first = chat.snapshot().messages[1]!.id;
    await chat.regenerate();
    const messages = chat.snapshot().messages;
    assert.equal(messages.length, 2);
    assert.notEqual(messages[1]!.id, first);
    assert.ok(messages[1]!.text.startsWith(SCRIPTED_ANSWER));
    await chat.newChat();
    assert.deepEqual(chat.snapshot().messages, []);
    assert.deepEqual(session(store).snapshot().messages, []);
  });

  it("shows failures in place with the action that fixes them", async function () {
    const wrongKey = session(new MapStore(), new ApiClient(squeeze.url, { token: "wrong-key" }));
    await wrongKey.send("Hello");
    let answer = wrongKey.snapshot().messages[1]!;
    assert.equal(answer.state, "error");
    assert.deepEqual(answer.error?.actions.map((a) => a.id), ["setApiKey"]);

    const nobody = session(new MapStore(), new ApiClient("http://127.0.0.1:9", { token: KEY }));
    await nobody.send("Hello");
    answer = nobody.snapshot().messages[1]!;
    assert.equal(answer.state, "error");
    assert.match(answer.error!.message, /no Squeeze server answers/);
    assert.deepEqual(answer.error?.actions.map((a) => a.id), ["startServer", "showLogs"]);
    // A failed answer without text is not sent again as part of the conversation.
    assert.equal(nobody.snapshot().messages[1]!.excluded, false);
  });

  it("says in words that the server stopped when it dies mid-answer, keeping what it said", async function () {
    const doomed = await startSqueeze(["--model", SCRIPTED, "--ctx-size", "512"]);
    const chat = session(new MapStore(), new ApiClient(doomed.url));
    let text = "";
    chat.on("append", (_id, piece) => {
      text += piece;
      if (text.length > SCRIPTED_ANSWER.length && doomed.child.exitCode === null) doomed.child.kill("SIGKILL");
    });
    await chat.send("Hello");
    await doomed.stop();
    const answer = chat.snapshot().messages[1]!;
    assert.equal(answer.state, "error");
    assert.match(answer.error!.message, /The Squeeze server stopped while answering\. A window starts it again by itself: retry in a moment\./);
    assert.deepEqual(answer.error?.actions.map((a) => a.id), ["retry", "showLogs"]);
    assert.ok(answer.text.startsWith(SCRIPTED_ANSWER), "what it said before is kept");
  });
});
