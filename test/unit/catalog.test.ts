// The built-in catalog: valid against its schema, its JSON Schema file current, its entries sane.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import catalogJson from "../../src/core/catalog/catalog.json";
import { catalogSchema } from "../../src/core/catalog/catalogSchema";
import { SCHEMA_FILES } from "../tools/schemaFiles";

describe("model catalog", function () {
  const catalog = catalogSchema.parse(catalogJson);

  it("validates against its schema and covers the published models", function () {
    const ids = catalog.models.map((m) => m.id);
    for (const id of [
      "qwen2.5-0.5b-instruct", "qwen2.5-1.5b-instruct", "qwen2.5-3b-instruct", "qwen2.5-7b-instruct",
      "qwen2.5-coder-0.5b-instruct", "qwen2.5-coder-1.5b-instruct", "qwen2.5-coder-3b-instruct", "qwen2.5-coder-7b-instruct",
      "llama-3.2-1b-instruct", "llama-3.2-3b-instruct", "phi-3.5-mini-instruct", "phi-4-mini-instruct",
      "qwen3-0.6b", "qwen3-1.7b", "qwen3-4b", "qwen3-8b",
    ]) {
      assert.ok(ids.includes(id), id);
    }
    for (const model of catalog.models) {
      assert.ok(model.variants.some((v) => v.recipe === "llamacpp"), `${model.id} runs on llama.cpp everywhere`);
      assert.equal(model.capabilities.includes("fim"), model.family === "qwen2.5-coder", `${model.id}: fim only for coder models`);
      for (const v of model.variants) {
        assert.ok(v.minRamGB >= v.sizeGB, `${model.id}/${v.id} needs at least its own size in RAM`);
        if (v.recipe === "llamacpp") assert.ok(v.files!.every((f) => f.toLowerCase().endsWith(".gguf")), `${model.id}/${v.id}`);
      }
    }
    assert.ok(catalog.models.some((m) => m.variants.some((v) => v.recipe === "ryzenai-npu")), "AMD NPU builds are in");
  });

  it("refuses entries that break the schema, naming the field", function () {
    const broken = (edit: (c: any) => void) => {
      const copy = structuredClone(catalogJson) as any;
      edit(copy);
      const result = catalogSchema.safeParse(copy);
      assert.equal(result.success, false);
      return result.error!.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    };
    assert.match(broken((c) => (c.models[0].variants[0].repo = "../../etc")), /repo/);
    assert.match(broken((c) => (c.models[0].variants[0].files = ["../x.gguf"])), /files\.0: must be a relative path/);
    assert.match(broken((c) => delete c.models[0].variants[0].quant), /quant: is required for the llamacpp recipe/);
    assert.match(broken((c) => (c.models[1].id = c.models[0].id)), /duplicate model id/);
    assert.match(broken((c) => (c.models[0].variants[0].recipe = "tpu")), /recipe/);
    assert.match(broken((c) => (c.models[0].extra = 1)), /extra|Unrecognized/);
  });

  it("keeps the generated JSON Schema files current (npm run schemas)", function () {
    for (const { file, schema } of SCHEMA_FILES) {
      assert.deepEqual(JSON.parse(readFileSync(file, "utf8")), JSON.parse(JSON.stringify(schema())), `${file} is stale: run npm run schemas`);
    }
  });
});
