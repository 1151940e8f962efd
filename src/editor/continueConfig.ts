// Continue's config.yaml entries for this server: one model for chat, edit and apply, one for
// autocomplete. Written with the yaml library's document API so the user's other entries and
// comments stay as they were; earlier Squeeze entries are replaced, not duplicated.
import os from "node:os";
import path from "node:path";
import { isMap, isSeq, parseDocument, YAMLSeq } from "yaml";

const NAME_PREFIX = "Squeeze";

export interface ContinueTarget {
  baseUrl: string;
  model: string;
  apiKey: string | undefined;
}

export function continueModels(target: ContinueTarget): object[] {
  const common = {
    provider: "openai",
    model: target.model,
    apiBase: `${target.baseUrl}/v1`,
    // Continue's openai provider wants a key even when the server needs none.
    apiKey: target.apiKey ?? "none",
  };
  return [
    { name: `${NAME_PREFIX} (local)`, ...common, roles: ["chat", "edit", "apply"] },
    { name: `${NAME_PREFIX} autocomplete`, ...common, roles: ["autocomplete"] },
  ];
}

/** The block to paste under `models:`. */
export function continueBlock(target: ContinueTarget): string {
  const doc = parseDocument("models: []\n");
  doc.set("models", doc.createNode(continueModels(target)));
  return doc.toString();
}

/** `existing` (a config.yaml's text, or undefined for none) with Squeeze's entries in place. */
export function mergeContinueConfig(existing: string | undefined, target: ContinueTarget): string {
  const doc = parseDocument(existing ?? "name: Local config\nversion: 1.0.0\nschema: v1\nmodels: []\n");
  if (doc.errors.length > 0) throw new Error(`config.yaml is not valid YAML: ${doc.errors[0].message}`);
  if (doc.contents !== null && !isMap(doc.contents)) throw new Error("config.yaml does not hold a mapping at its top level");
  let models = doc.get("models");
  if (models === undefined || models === null) {
    models = new YAMLSeq();
    doc.set("models", models);
  }
  if (!isSeq(models)) throw new Error("config.yaml's models is not a list");
  models.items = models.items.filter((item) => !(isMap(item) && String(item.get("name") ?? "").startsWith(NAME_PREFIX)));
  for (const entry of continueModels(target)) models.items.push(doc.createNode(entry));
  return doc.toString();
}

/** Where Continue reads its global config: CONTINUE_GLOBAL_DIR, else ~/.continue. */
export function continueConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.CONTINUE_GLOBAL_DIR || path.join(os.homedir(), ".continue"), "config.yaml");
}
