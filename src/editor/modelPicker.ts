// The quick pick of models: downloaded ones, then the catalog's, each with its size, whether it
// fits this machine, and why Squeeze recommends it where it does.
import * as vscode from "vscode";
import type { StoreModel } from "../core/protocol/api";
import type { ApiClient } from "./apiClient";
import { fits, type Machine } from "./machine";
import { MODEL_ROLES } from "../core/protocol/types";

export type PickedModel = { kind: "model"; model: StoreModel } | { kind: "path"; path: string };

interface Item extends vscode.QuickPickItem {
  choice?: PickedModel;
}

export interface PickOptions {
  title: string;
  /** Which models to offer. */
  show: "all" | "downloaded" | "catalog";
  /** Offer a GGUF file or ONNX folder from disk as well. */
  browse?: boolean;
  /** Offer only models that generate text (for the chat or completion role): no embedding or reranking models. */
  generating?: boolean;
}

const ENCODER_LABELS = new Set(["embedding", "reranking"]);

export async function pickModel(client: ApiClient, machine: Machine, options: PickOptions): Promise<PickedModel | undefined> {
  const models = (await client.models(options.show !== "downloaded")).filter((m) => !options.generating || !m.labels.some((l) => ENCODER_LABELS.has(l)));
  const reasons = new Map<string, string>();
  for (const role of MODEL_ROLES) {
    const best = machine.selection[role][0];
    if (best && !reasons.has(best.id)) reasons.set(best.id, `$(star-full) Recommended for ${role}: ${best.reasons[0]}`);
  }
  const gb = (machine.profile.memory.totalBytes / 1e9).toFixed(0);
  const item = (m: StoreModel): Item => ({
    label: m.id,
    description: `${m.size.toFixed(1)} GB · ${fits(machine, m.size) ? "fits" : `too big for ${gb} GB of RAM`}${m.downloaded ? " · downloaded" : ""}`,
    detail: reasons.get(m.id),
    choice: { kind: "model", model: m },
  });
  const downloaded = models.filter((m) => m.downloaded && options.show !== "catalog");
  const catalog = models.filter((m) => !m.downloaded && options.show !== "downloaded");
  const byRecommendation = (a: StoreModel, b: StoreModel) => Number(reasons.has(b.id)) - Number(reasons.has(a.id));
  const items: Item[] = [
    ...section("Downloaded", downloaded.map(item)),
    ...section("Download from Hugging Face", catalog.sort(byRecommendation).map(item)),
  ];
  if (options.browse) items.push(...section("From disk", [{ label: "$(folder-opened) Choose a GGUF file or ONNX model folder…" }]));
  if (items.length === 0) {
    void vscode.window.showInformationMessage("Squeeze: no models are downloaded yet. Run \"Squeeze: Download Model\".");
    return undefined;
  }
  const chosen = await vscode.window.showQuickPick(items, { title: options.title, matchOnDescription: true, matchOnDetail: true });
  if (!chosen) return undefined;
  if (chosen.choice) return chosen.choice;
  const uri = await vscode.window.showOpenDialog({
    title: "A GGUF file, or a folder with genai_config.json",
    canSelectFiles: true,
    canSelectFolders: true,
    filters: { "GGUF models": ["gguf"] },
  });
  return uri?.[0] ? { kind: "path", path: uri[0].fsPath } : undefined;
}

function section(label: string, items: Item[]): Item[] {
  return items.length === 0 ? [] : [{ label, kind: vscode.QuickPickItemKind.Separator }, ...items];
}
