// What the chat model is asked when the user edits code by instruction, and how its answer becomes
// code: plain functions, so the rules are tested without an editor.
import type { ChatRequestMessage } from "../apiClient";

/** Lines around the code that go with it, so the model sees where it stands. */
const CONTEXT_LINES = 30;

export interface RewriteRequest {
  instruction: string;
  language: string;
  filename: string;
  /** The text before and after the code in its file. */
  before: string;
  code: string;
  after: string;
}

export function rewriteMessages({ instruction, language, filename, before, code, after }: RewriteRequest): ChatRequestMessage[] {
  const above = before.split("\n").slice(-CONTEXT_LINES).join("\n");
  const below = after.split("\n").slice(0, CONTEXT_LINES).join("\n");
  const system =
    "You rewrite code as the user asks. Answer with the rewritten code only, in one fenced code block, " +
    "keeping its indentation and everything the instruction does not ask to change. No explanations.";
  const user = [
    `File ${filename} (${language}). The code just before the part to rewrite:`,
    fence(above, language),
    "The part to rewrite:",
    fence(code, language),
    "The code just after it:",
    fence(below, language),
    `Instruction: ${instruction}`,
  ].join("\n");
  return [
    { role: "system", content: system },
    { role: "user", content: user },
  ];
}

/** The answer's longest useful length: the code again, changed, with room to grow. */
export function rewriteTokenBudget(code: string): number {
  return Math.ceil(code.length / 2) + 256;
}

/**
 * The code in an answer so far: inside its first fenced block when it has one (the words some
 * models put before it are not code), else the whole answer. `complete` once the block has closed:
 * what follows is talk about the code, not worth waiting for.
 */
export function codeOf(answer: string): { code: string; complete: boolean } {
  const open = /(^|\n)[ \t]*```[^\n`]*\n/.exec(answer);
  if (!open) return { code: answer, complete: false };
  const body = answer.slice(open.index + open[0].length);
  const close = /(^|\n)[ \t]*```/.exec(body);
  return close ? { code: body.slice(0, close.index), complete: true } : { code: body, complete: false };
}

/** The rewrite ends in a line break exactly when the code it replaces did, so the lines after it stay put. */
export function endLike(rewrite: string, code: string): string {
  const bare = rewrite.replace(/\n+$/, "");
  return code.endsWith("\n") ? `${bare}\n` : bare;
}

function fence(text: string, language: string): string {
  // A fence longer than any backtick run in the text, so the text cannot close it.
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const marks = "`".repeat(longest + 1);
  return `${marks}${language}\n${text}\n${marks}`;
}
