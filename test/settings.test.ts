// package.json's contributed settings and the editor's checks of them: one key set, and every
// default (VS Code's, and the editor's fallback for a refused value) passes its own check.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { SETTINGS } from "../src/editor/settingsSchema";

interface Contributed {
  default?: unknown;
}

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
  contributes: { configuration: { properties: Record<string, Contributed> } };
};
const contributed = Object.entries(pkg.contributes.configuration.properties).map(([key, spec]) => [key.replace(/^squeeze\./, ""), spec] as const);

describe("settings", function () {
  it("package.json contributes exactly the settings the editor checks", function () {
    assert.deepEqual(contributed.map(([key]) => key).sort(), Object.keys(SETTINGS).sort());
  });

  it("every default in package.json passes the editor's check of it", function () {
    for (const [key, spec] of contributed) {
      assert.ok("default" in spec, `squeeze.${key} has a default`);
      const parsed = SETTINGS[key as keyof typeof SETTINGS].safeParse(spec.default);
      assert.ok(parsed.success, `squeeze.${key}'s default ${JSON.stringify(spec.default)}: ${parsed.error?.issues[0]?.message}`);
    }
  });
});
