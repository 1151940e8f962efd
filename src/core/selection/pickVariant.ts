// The variant of a catalog model to download when the user names only the model: the best one
// the hardware selection ranks for this machine among those on Hugging Face.
import type { CatalogModel } from "../catalog/catalogSchema";
import type { VariantPicker } from "../store/modelStore";
import { machineSelection } from "./machineSelection";
import { MODEL_ROLES } from "../protocol/types";

export const pickVariantForMachine: VariantPicker = async (model: CatalogModel) => {
  const { selection } = await machineSelection();
  const choice = MODEL_ROLES.flatMap((role) => selection[role]).find((c) => c.modelId === model.id && c.variant.repo !== undefined);
  if (choice) {
    return { variant: choice.variant, why: `${choice.variant.id} for the ${choice.device.kind.toUpperCase()} (${choice.device.name}): ${choice.reasons[0]}` };
  }
  // Too big for this machine by the selection's rules: the user asked for it, so take the common GGUF.
  const fallback = model.variants.find((v) => v.recipe === "llamacpp") ?? model.variants.find((v) => v.repo !== undefined);
  if (!fallback) throw new Error(`${model.id} has no variant on Hugging Face`);
  return { variant: fallback, why: `${fallback.id}: the selection does not rank ${model.id} for this machine (see "squeeze probe"), so the GGUF ${fallback.quant ?? ""} build is used` };
};
