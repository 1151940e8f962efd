// Entry point of the throwaway process that proves a model file harmless (see modelProofs.ts):
// it loads the model with the backend that will run it, evaluates it once, and says so on
// stdout as one JSON line. If the native runtime aborts on the file, only this process dies.
import { createBackend } from "../backends";
import { EngineError } from "../protocol/errors";
import type { LoadSpec } from "../protocol/types";

/** What the process prints when it got through (or when the runtime refused the file cleanly). */
export type ProofAnswer = { ok: true } | { ok: false; code: EngineError["code"]; message: string };

async function prove(spec: LoadSpec): Promise<void> {
  const backend = createBackend(spec.backend);
  const { task } = await backend.load(spec);
  try {
    // The model's own kind of evaluation: a token generated, a text embedded, a document ranked.
    if (task === "embed") await backend.embed(["Hello"], { truncate: true });
    else if (task === "rank") await backend.rank("Hello", ["Hello"], { truncate: true });
    else for await (const event of backend.complete("Hello", { maxTokens: 1, temperature: 0 }, new AbortController().signal)) void event;
  } finally {
    await backend.unload();
  }
}

async function main(): Promise<void> {
  let input = "";
  for await (const chunk of process.stdin) input += chunk;
  let answer: ProofAnswer;
  try {
    await prove(JSON.parse(input) as LoadSpec);
    answer = { ok: true };
  } catch (err) {
    const { code, message } = EngineError.from(err);
    answer = { ok: false, code, message };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
  // Native runtimes may keep threads alive: the answer is given, the process has nothing left to do.
  process.exit(0);
}

void main();
