// Embedding and reranking models on llama.cpp: a GGUF that declares how its token states are pooled
// (BERT-family encoders such as nomic-embed-text and bge, Qwen3-Embedding's last-token pooling)
// computes vectors, and one with a classifier head and rank pooling (bge-reranker) scores
// documents against a query. node-llama-cpp's embedding and ranking contexts run them.
import type { LlamaEmbeddingContext, LlamaModel, LlamaRankingContext, Token } from "node-llama-cpp";
import { EngineError } from "../../protocol/errors";
import type { EmbedInput, EmbedOptions, Embeddings, ModelTask, Ranking } from "../../protocol/types";
import { promptTooLong } from "../defaults";
import { unitLength } from "../../util/vectors";

/** llama.cpp's pooling types (`<arch>.pooling_type`): 0 none, 1 mean, 2 CLS, 3 last token, 4 rank. */
const RANK_POOLING = 4;

/** What a loaded GGUF computes: a declared pooling makes it an embedding model, rank pooling (or a classifier head) a reranker. */
export function modelTask(model: LlamaModel): ModelTask {
  const metadata = model.fileInfo.metadata as unknown as Record<string, Record<string, unknown> | undefined>;
  const pooling = metadata[String(model.fileInfo.metadata.general.architecture)]?.pooling_type;
  // Some rerankers' files declare no pooling; their classifier head says what they are.
  if (pooling === RANK_POOLING || model.fileInsights.supportsRanking) return "rank";
  return typeof pooling === "number" && pooling > 0 ? "embed" : "generate";
}

export class LlamaEncoder {
  private constructor(
    private readonly model: LlamaModel,
    private readonly context: { embed: LlamaEmbeddingContext } | { rank: LlamaRankingContext },
    readonly contextSize: number,
    /** Tokens in the vocabulary, which a client's token ids must stay below. */
    private readonly vocabularySize = (model.fileInfo.metadata.tokenizer.ggml.tokens as unknown[]).length,
  ) {}

  static async load(model: LlamaModel, task: "embed" | "rank", options: { contextSize?: number; threads: number }): Promise<LlamaEncoder> {
    // An encoder sees each text whole: its context is the trained one unless asked for less.
    const contextSize = Math.min(options.contextSize ?? Infinity, model.trainContextSize);
    const settings = { contextSize, threads: options.threads };
    const context = task === "embed" ? { embed: await model.createEmbeddingContext(settings) } : { rank: await model.createRankingContext(settings) };
    return new LlamaEncoder(model, context, contextSize);
  }

  /** Unit-length vectors, as OpenAI's and llama-server's embeddings are, so that a dot product is the cosine. */
  async embed(inputs: EmbedInput[], options: EmbedOptions): Promise<Embeddings> {
    if (!("embed" in this.context)) throw new EngineError("invalid_request", "this is a reranking model: it scores documents (/v1/rerank), it does not embed");
    const context = this.context.embed;
    const vectors: number[][] = [];
    let tokens = 0;
    for (const given of inputs) {
      const input = this.fit(typeof given === "string" ? this.model.tokenize(given) : this.checkedTokens(given), (t) => context.calculateInputLength(t), options);
      tokens += context.calculateInputLength(input);
      vectors.push(unitLength((await context.getEmbeddingFor(input)).vector));
    }
    return { vectors, tokens };
  }

  async rank(query: string, documents: string[], options: EmbedOptions): Promise<Ranking> {
    if (!("rank" in this.context)) throw new EngineError("invalid_request", "this is an embedding model: it embeds texts (/v1/embeddings), it does not rank documents");
    const queryTokens = this.model.tokenize(query);
    // Query, document and the separators between them share one context.
    const overhead = (document: Token[]) => queryTokens.length + document.length + 4;
    const inputs = documents.map((d) => this.fit(this.model.tokenize(d), overhead, options));
    const scores = await this.context.rank.rankAll(queryTokens, inputs);
    return { scores, tokens: inputs.reduce((n, d) => n + overhead(d), 0) };
  }

  async dispose(): Promise<void> {
    await ("embed" in this.context ? this.context.embed : this.context.rank).dispose();
  }

  /** Token ids from a client: one outside the vocabulary would make llama.cpp abort. */
  private checkedTokens(ids: number[]): Token[] {
    const bad = ids.find((id) => !Number.isInteger(id) || id < 0 || id >= this.vocabularySize);
    if (bad !== undefined) throw new EngineError("invalid_request", `token id ${bad} is not in the model's vocabulary of ${this.vocabularySize} tokens`);
    return ids as Token[];
  }

  /** `tokens` as they fit the context with what surrounds them (`length`), cut at the end when truncating, else refused. */
  private fit(tokens: Token[], length: (tokens: Token[]) => number, options: EmbedOptions): Token[] {
    const total = length(tokens);
    if (total < this.contextSize) return tokens;
    if (!options.truncate) throw promptTooLong(total, this.contextSize);
    const keep = Math.max(0, tokens.length - (total - this.contextSize) - 1);
    return tokens.slice(0, keep);
  }
}
