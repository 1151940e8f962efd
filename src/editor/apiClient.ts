// The extension's client of the local API. Its features use the server as any other tool does,
// so they work the same whether this window hosts the server or another window does.
import type { EventSourceMessage } from "eventsource-parser";
import { type Dispatcher, fetch, type Response } from "undici";
import { sseEvents } from "../core/util/sseEvents";
import { z } from "zod";
import {
  actionResultSchema,
  errorBodySchema,
  healthSchema,
  loadedModelListSchema,
  pullCompleteSchema,
  pullProgressEventSchema,
  serverIdentitySchema,
  statsSchema,
  storeModelListSchema,
  type Health,
  type LoadedModelList,
  type PullProgressEvent,
  type ServerIdentity,
  type Stats,
  type StoreModel,
} from "../core/protocol/api";

/** This window attached to the server: who the server is, and when it went away. */
export interface Attachment {
  server: ServerIdentity;
  /** Settles when the stream ends: `planned` when the server said it was shutting down on purpose. */
  ended: Promise<{ planned: boolean }>;
}


/** The model inline completions use. */
export function completionModel(health: Health | undefined): string | undefined {
  return health?.roles?.completion ?? health?.model ?? undefined;
}

/** The model chat and edits use. */
export function chatModel(health: Health | undefined): string | undefined {
  return health?.roles?.chat ?? health?.model ?? undefined;
}

/** A fill-in-the-middle request (llama.cpp's /infill). */
export interface InfillRequest {
  model: string;
  prefix: string;
  suffix: string;
  maxTokens: number;
  /** Generation time from the first token; the server answers with what it has by then. */
  maxPredictMs: number;
  stop: string[];
  /** Parts of other files, as context. */
  extra: { filename: string; text: string }[];
  /** Sampling for an alternative suggestion; without it the answer is greedy. */
  sample?: { temperature: number; seed: number };
}

export interface InfillResult {
  text: string;
  promptTokens: number;
  /** Prompt tokens the server took from its KV cache instead of evaluating them. */
  cachedTokens: number;
  completionTokens: number;
}

/** A message of a chat request: text, an assistant's tool calls, or a tool's result. */
export type ChatRequestMessage =
  | { role: "system" | "user" | "assistant"; content: string; tool_calls?: { id: string; type: "function"; function: { name: string; arguments: string } }[] }
  | { role: "tool"; content: string; tool_call_id: string };

/** Tools offered to the model, OpenAI's way; `required` makes it call one. */
export interface ChatTools {
  tools: { type: "function"; function: { name: string; description?: string; parameters?: object } }[];
  toolChoice: "auto" | "required";
}

/** How a chat request is answered, beyond its messages. */
export interface ChatOptions {
  tools?: ChatTools;
  /** The answer's longest length; without it, until the model stops or the context is full. */
  maxTokens?: number;
  temperature?: number;
}

/** What a streaming chat answer yields: text as it comes, each tool call once whole, then how it ended and what it cost. */
export type ChatStreamEvent =
  | { type: "text"; text: string }
  | { type: "toolCall"; id: string; name: string; arguments: string }
  | { type: "finish"; reason: string }
  | { type: "usage"; promptTokens: number; completionTokens: number };

/** The server answered with an error; `message` is OpenAI's `error.message`. */
export class ApiRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null,
  ) {
    super(message);
    this.name = "ApiRequestError";
  }
}

/** Nothing answered at the address: the server is not running (yet). */
export class ServerUnreachableError extends Error {
  constructor(url: string, cause: unknown) {
    super(`no Squeeze server answers at ${url}`, { cause });
    this.name = "ServerUnreachableError";
  }
}

const TIMEOUT_MS = 10_000;

/**
 * How requests reach the server: `token` goes as `Authorization: Bearer` (the user's token or an
 * API key), and `dispatcher` makes the connections (a proven agent checks each one is to the
 * user's server before a request goes over it).
 */
export interface Credentials {
  token?: string;
  dispatcher?: Dispatcher;
}

export class ApiClient {
  /**
   * `credentials` given as a function are asked for before each request, and a request they are
   * refused for is not sent (no server proved it is the user's). `clientId` names this window to
   * the server, which keeps each window's completions in a KV sequence of its own.
   */
  constructor(
    readonly baseUrl: string,
    private readonly credentials: Credentials | ((signal?: AbortSignal) => Promise<Credentials>) = {},
    private readonly clientId?: string,
  ) {}

  health(signal?: AbortSignal): Promise<Health> {
    return this.json(healthSchema, "GET", "/api/v1/health", undefined, signal);
  }

  stats(signal?: AbortSignal): Promise<Stats> {
    return this.json(statsSchema, "GET", "/api/v1/stats", undefined, signal);
  }

  /** Downloaded models; with `all`, the catalog's as well. */
  async models(all: boolean): Promise<StoreModel[]> {
    const body = await this.json(storeModelListSchema, "GET", `/api/v1/models${all ? "?show_all=true" : ""}`);
    return body.data;
  }

  /**
   * Greedy unless `sample` says otherwise, so the same place always gets the same first suggestion;
   * aborting `signal` stops the generation. Sent to llama.cpp's /infill with the cursor's line so far
   * as its `prompt`, which goes after the model's middle marker (as llama.vscode sends it): typing
   * then changes only the prompt's end, so the server evaluates only the typed characters, the
   * suffix staying cached even for prefix-suffix-middle models.
   */
  async infill(request: InfillRequest, signal: AbortSignal, onText?: (generated: string) => void): Promise<InfillResult> {
    const lineStart = request.prefix.lastIndexOf("\n") + 1;
    const route = "/infill";
    const body = {
      model: request.model,
      input_prefix: request.prefix.slice(0, lineStart),
      prompt: request.prefix.slice(lineStart),
      input_suffix: request.suffix,
      n_predict: request.maxTokens,
      t_max_predict_ms: request.maxPredictMs,
      stop: request.stop,
      temperature: request.sample?.temperature ?? 0,
      ...(request.sample && { seed: request.sample.seed }),
      ...(request.extra.length > 0 && { input_extra: request.extra }),
      stream: true,
    };
    const res = await this.request("POST", route, body, signal, false);
    // Streamed, so that the completer sees what is generated while it is (see InFlight).
    let text = "";
    for await (const event of this.events(res, signal)) {
      const chunk: unknown = JSON.parse(event.data);
      if (chunk && typeof chunk === "object" && "error" in chunk) throw errorFromBody(500, chunk);
      const piece = parseAnswer(infillPieceSchema, chunk, route);
      text += piece.content;
      if (!piece.stop) {
        onText?.(text);
        continue;
      }
      const last = parseAnswer(infillLastSchema, chunk, route);
      // timings.prompt_n is what was evaluated; llama-server's tokens_cached also counts the answer.
      return { text, promptTokens: last.tokens_evaluated, cachedTokens: last.tokens_evaluated - last.timings.prompt_n, completionTokens: last.tokens_predicted };
    }
    throw new ApiRequestError(502, "the answer stopped before the server finished it", null);
  }

  /**
   * Streams a chat answer with its usage; aborting `signal` stops the generation (the server frees
   * the model as soon as the connection closes).
   */
  async *chat(model: string, messages: ChatRequestMessage[], signal: AbortSignal, { tools, maxTokens, temperature }: ChatOptions = {}): AsyncGenerator<ChatStreamEvent> {
    const body = {
      model,
      messages,
      stream: true,
      stream_options: { include_usage: true },
      ...(tools && { tools: tools.tools, tool_choice: tools.toolChoice }),
      ...(maxTokens !== undefined && { max_tokens: maxTokens }),
      ...(temperature !== undefined && { temperature }),
    };
    const res = await this.request("POST", "/v1/chat/completions", body, signal, false);
    // Tool calls stream as deltas by index (id and name first, then the arguments in pieces).
    const calls: { id: string; name: string; arguments: string }[] = [];
    for await (const event of this.events(res, signal)) {
      if (event.data === "[DONE]") return;
      const chunk = JSON.parse(event.data) as {
        error?: unknown;
        choices?: {
          delta?: { content?: string | null; tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[] };
          finish_reason?: string | null;
        }[];
        usage?: { prompt_tokens: number; completion_tokens: number } | null;
      };
      // A failure after the first token arrives in the stream, as OpenAI sends it.
      if (chunk.error) throw errorFromBody(500, chunk);
      const choice = chunk.choices?.[0];
      if (choice?.delta?.content) yield { type: "text", text: choice.delta.content };
      for (const delta of choice?.delta?.tool_calls ?? []) {
        const call = (calls[delta.index] ??= { id: "", name: "", arguments: "" });
        call.id ||= delta.id ?? "";
        call.name ||= delta.function?.name ?? "";
        call.arguments += delta.function?.arguments ?? "";
      }
      if (choice?.finish_reason) {
        for (const call of calls) yield { type: "toolCall", ...call };
        yield { type: "finish", reason: choice.finish_reason };
      }
      if (chunk.usage) yield { type: "usage", promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
    }
    throw new ApiRequestError(502, "the answer stopped before the server finished it", null);
  }

  /** How many tokens the chat model (or `model`, loaded on demand) makes of `text`. */
  async countTokens(text: string, signal?: AbortSignal, model?: string): Promise<number> {
    const body = await this.json(tokenizeSchema, "POST", "/api/v1/tokenize", { content: text, ...(model && { model }) }, signal);
    return body.tokens.length;
  }

  /** The models loaded now, each with its context. */
  async loadedModels(signal?: AbortSignal): Promise<LoadedModelList["data"]> {
    return (await this.json(loadedModelListSchema, "GET", "/v1/models", undefined, signal)).data;
  }

  async remove(model: string): Promise<void> {
    await this.json(actionResultSchema, "POST", "/api/v1/delete", { model_name: model });
  }

  /** Downloads a model, reporting progress; aborting `signal` stops it (the next pull resumes). */
  async pull(model: string, onProgress: (p: PullProgressEvent) => void, signal: AbortSignal): Promise<string> {
    const route = "/api/v1/pull";
    const res = await this.request("POST", route, { model_name: model, stream: true }, signal, false);
    for await (const event of this.events(res, signal)) {
      const data: unknown = JSON.parse(event.data);
      if (event.event === "progress") onProgress(parseAnswer(pullProgressEventSchema, data, route));
      else if (event.event === "complete") return parseAnswer(pullCompleteSchema, data, route).model;
      else if (event.event === "error") throw errorFromBody(res.status, data);
    }
    throw new ApiRequestError(502, "the download stopped before the server said it was complete", null);
  }

  /** Holds this window's place at the server for as long as `signal` is not aborted. */
  async attach(signal: AbortSignal): Promise<Attachment> {
    const res = await this.request("GET", "/api/v1/attach", undefined, signal, false);
    const events = this.events(res, signal);
    const first = await events.next();
    if (first.done || first.value.event !== "server") throw new ApiRequestError(502, "the server did not say who it is", null);
    const ended = (async () => {
      let planned = false;
      try {
        for await (const event of events) planned ||= event.event === "stopping";
      } catch {
        // Cut off: the server went away, or this window let go.
      }
      return { planned };
    })();
    return { server: parseAnswer(serverIdentitySchema, JSON.parse(first.value.data), "/api/v1/attach"), ended };
  }

  /** A response's events; the server going away mid-stream is said in words, not as a socket error. */
  private async *events(res: Response, signal: AbortSignal | undefined): AsyncGenerator<EventSourceMessage> {
    try {
      yield* sseEvents(res.body as unknown as AsyncIterable<Uint8Array>);
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new ApiRequestError(502, "The Squeeze server stopped while answering. A window starts it again by itself: retry in a moment.", "server_stopped");
    }
  }

  private async json<S extends z.ZodType>(schema: S, method: string, route: string, body?: object, signal?: AbortSignal): Promise<z.output<S>> {
    const res = await this.request(method, route, body, signal ?? AbortSignal.timeout(TIMEOUT_MS), true);
    return parseAnswer(schema, await res.json().catch(() => undefined), route);
  }

  private async request(method: string, route: string, body: object | undefined, signal: AbortSignal | undefined, expectJson: boolean): Promise<Response> {
    const { token, dispatcher } = typeof this.credentials === "function" ? await this.credentials(signal) : this.credentials;
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${route}`, {
        method,
        signal,
        headers: {
          ...(body ? { "content-type": "application/json" } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(this.clientId ? { "x-squeeze-client": this.clientId } : {}),
          ...(expectJson ? { accept: "application/json" } : { accept: "text/event-stream" }),
        },
        body: body ? JSON.stringify(body) : undefined,
        dispatcher,
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new ServerUnreachableError(this.baseUrl, err);
    }
    if (!res.ok) throw errorFromBody(res.status, await res.json().catch(() => ({})));
    return res;
  }
}

function errorFromBody(status: number, body: unknown): ApiRequestError {
  const parsed = errorBodySchema.safeParse(body);
  if (!parsed.success) return new ApiRequestError(status, `the server answered ${status}`, null);
  return new ApiRequestError(status, parsed.data.error.message, parsed.data.error.code ?? null);
}

/** What the client reads of llama.cpp's /infill stream (each piece, and the counts at its end) and of /tokenize. */
const infillPieceSchema = z.object({ content: z.string(), stop: z.boolean() });
const infillLastSchema = z.object({ tokens_evaluated: z.number(), tokens_predicted: z.number(), timings: z.object({ prompt_n: z.number() }) });
const tokenizeSchema = z.object({ tokens: z.array(z.number()) });

/** An answer as its schema says, or an error naming what the server got wrong. */
function parseAnswer<S extends z.ZodType>(schema: S, data: unknown, route: string): z.output<S> {
  const parsed = schema.safeParse(data);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue?.path.length ? ` at ${issue.path.join(".")}` : "";
  throw new ApiRequestError(502, `the server's answer to ${route} is not what this version of Squeeze reads${where}: ${issue?.message}`, "invalid_response");
}
