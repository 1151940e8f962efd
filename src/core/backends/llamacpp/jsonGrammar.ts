// Grammars for JSON output from node-llama-cpp's JSON Schema support, with its numbers tightened:
// it lets integers carry an exponent ("5E-3", not an integer) and exponents run to 16 digits
// ("1E+9999" parses to Infinity), so constrained output could still fail the schema.
import type { GbnfJsonSchema, Llama, LlamaGrammar } from "node-llama-cpp";
import { EngineError } from "../../protocol/errors";

const DIGITS = '("0" | [1-9] [0-9]{0,15})';
const EXPONENT = `[eE] [-+]? ${DIGITS}`;

export async function jsonSchemaGrammar(llama: Llama, schema: Record<string, unknown>): Promise<LlamaGrammar> {
  let original: LlamaGrammar;
  try {
    // The schema comes from the client; node-llama-cpp refuses what it cannot express.
    const create = llama.createGrammarForJsonSchema.bind(llama) as (s: GbnfJsonSchema) => Promise<LlamaGrammar>;
    original = await create(schema as GbnfJsonSchema);
  } catch (err) {
    throw new EngineError("invalid_request", `llama.cpp cannot turn this JSON Schema into a grammar: ${(err as Error).message}`);
  }
  const grammar = original.grammar
    .replaceAll(`${DIGITS} (${EXPONENT})?`, DIGITS)
    .replaceAll(EXPONENT, '[eE] [-+]? [1-9] [0-9]?');
  // Its way of ending: the whitespace the grammar allows after the value stops generation.
  return llama.createGrammar({ grammar, stopGenerationTriggers: original.stopGenerationTriggers, trimWhitespaceSuffix: original.trimWhitespaceSuffix });
}
