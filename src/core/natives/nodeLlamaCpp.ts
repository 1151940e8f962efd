// node-llama-cpp is ESM-only and native: load it once, lazily, and never bundle it.
type NodeLlamaCpp = typeof import("node-llama-cpp");

let module: Promise<NodeLlamaCpp> | undefined;

export function loadNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  module ??= import("node-llama-cpp");
  return module;
}
