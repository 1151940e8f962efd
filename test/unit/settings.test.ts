// package.json's contributed settings, the editor's checks of them and the README's table: one key
// set, and one default for each (VS Code's, the editor's fallback for a refused value, the docs').
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { SETTINGS } from "../../src/editor/settingsSchema";

interface Contributed {
  default?: unknown;
}

const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  contributes: { configuration: { properties: Record<string, Contributed> } };
};
const contributed = Object.entries(pkg.contributes.configuration.properties).map(([key, spec]) => [key.replace(/^squeeze\./, ""), spec] as const);

describe("settings", function () {
  it("package.json contributes exactly the settings the editor checks", function () {
    assert.deepEqual(contributed.map(([key]) => key).sort(), Object.keys(SETTINGS).sort());
  });

  it("README.md's settings table lists every setting with package.json's default", function () {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const rows = [...readme.matchAll(/^\| `squeeze\.([\w.]+)` \| `([^`]*)` \|/gm)].map(([, key, cell]) => [key, readCell(cell)] as const);
    assert.deepEqual(Object.fromEntries(rows), Object.fromEntries(contributed.map(([key, spec]) => [key, spec.default])));
  });

  it("every default in package.json passes the editor's check of it", function () {
    for (const [key, spec] of contributed) {
      assert.ok("default" in spec, `squeeze.${key} has a default`);
      const parsed = SETTINGS[key as keyof typeof SETTINGS].safeParse(spec.default);
      assert.ok(parsed.success, `squeeze.${key}'s default ${JSON.stringify(spec.default)}: ${parsed.error?.issues[0]?.message}`);
    }
  });
});

/** A table cell's value: JSON where it parses as JSON, else the bare string it shows (`auto`). */
function readCell(cell: string): unknown {
  try {
    return JSON.parse(cell);
  } catch {
    return cell;
  }
}
