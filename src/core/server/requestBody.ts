// One reading of a request's JSON body for every API (OpenAI, Ollama, Lemonade, the store): the
// content type, a JSON object and not some other JSON value, and a zod schema whose first issue
// becomes a 400 naming the member in plain words ("Invalid 'top_p': must be at most 1").
import type { Request } from "express";
import { z } from "zod";
import { ApiError } from "./errors";

/** What an API calls a body's members: OpenAI and Lemonade say parameter, Ollama says field. */
export type MemberWord = "parameter" | "field";

/**
 * The JSON a request carries. express.json skips bodies of other types, which would otherwise
 * reach a route as `undefined`; with `emptyIsObject` a POST without a body reads as {}
 * (Lemonade's `curl -X POST .../unload`).
 */
export function jsonBody(req: Request, emptyIsObject = false): unknown {
  const isJson = req.is("application/json");
  const empty = isJson === null || (!req.headers["content-type"] && req.headers["content-length"] === "0");
  if (empty && emptyIsObject) return {};
  if (isJson === null) {
    throw new ApiError(400, "The request has no body: send a JSON object with 'Content-Type: application/json'.", { code: "invalid_body" });
  }
  if (!isJson) {
    throw new ApiError(400, `The request body must be JSON sent with 'Content-Type: application/json', not '${req.headers["content-type"] ?? ""}'.`, {
      code: "invalid_body",
    });
  }
  return req.body;
}

/** The body when it is a JSON object, or a 400 saying what came instead. */
export function jsonObject(body: unknown): object {
  // express.json leaves no body as undefined; a JSON string or array parses but is no request.
  if (body === undefined) throw new ApiError(400, "The request has no body: send a JSON object.", { code: "invalid_body" });
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError(400, "The request body must be a JSON object.", { code: "invalid_body" });
  }
  return body;
}

/** The body checked against `schema`, or a 400 saying what is wrong with it. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown, word: MemberWord = "parameter"): z.output<T> {
  jsonObject(body);
  const result = schema.safeParse(body, { error: describe, reportInput: true });
  if (result.success) return result.data;
  const issue = mostSpecific(result.error.issues[0]!);
  const param = issue.path.map(String).join(".");
  const missing = issue.input === undefined && issue.code !== "custom";
  const message = missing ? `Missing required ${word} '${param}': it ${issue.message}.` : `Invalid '${param}': ${issue.message}.`;
  throw new ApiError(400, message, { param, code: issue.code === "invalid_type" ? "invalid_type" : "invalid_value" });
}

/**
 * A union's own message ("must be a string or ...") is vague when the value had the right
 * shape but a bad part (an image among text parts): then report that branch's issue instead.
 */
function mostSpecific(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code !== "invalid_union") return issue;
  const shaped = issue.errors
    .map((branch) => branch[0])
    .filter((first) => first !== undefined && !(first.code === "invalid_type" && first.path.length === 0));
  if (shaped.length !== 1) return issue;
  const inner = shaped[0]!;
  return mostSpecific({ ...inner, path: [...issue.path, ...inner.path] });
}

/** Plain-language messages for zod's issue codes; fields with their own message override these. */
function describe(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type": {
      const expected = `must be ${EXPECTED[issue.expected] ?? issue.expected}`;
      return issue.input === undefined ? expected : `${expected}, not ${show(issue.input)}`;
    }
    case "too_small":
      if (issue.origin === "array") return `must contain at least ${items(issue.minimum)}`;
      if (issue.origin === "string") return "must not be empty";
      return issue.inclusive ? `must be at least ${issue.minimum}` : `must be greater than ${issue.minimum}`;
    case "too_big":
      if (issue.origin === "array") return `must contain at most ${items(issue.maximum)}`;
      return issue.inclusive ? `must be at most ${issue.maximum}` : `must be less than ${issue.maximum}`;
    case "invalid_value":
      return `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, not ${show(issue.input)}`;
    default:
      return undefined;
  }
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
  array: "an array",
  object: "an object",
};

function items(count: number | bigint): string {
  return `${count} item${count === 1 ? "" : "s"}`;
}

/** A value as a message shows it: short, and never a whole object. */
export function show(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return String(value);
}

