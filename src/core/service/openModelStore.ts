// The store as Squeeze runs it: hub settings from the environment (HF_ENDPOINT, HF_TOKEN,
// HF_HUB_OFFLINE, HF_HUB_CACHE), the user's models.json, and the hardware selection for catalog pulls.
import path from "node:path";
import { pickVariantForMachine } from "../selection/pickVariant";
import { configDir } from "../util/configDir";
import { hubSettings, type HubSettings } from "../store/hubSettings";
import { ModelStore } from "../store/modelStore";

export async function openModelStore(overrides: Partial<HubSettings> = {}, env: NodeJS.ProcessEnv = process.env): Promise<ModelStore> {
  return new ModelStore(await hubSettings(env, overrides), path.join(configDir(env), "models.json"), pickVariantForMachine);
}
