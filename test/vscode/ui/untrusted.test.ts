// An untrusted workspace cannot move the server or choose its models: its values of the restricted
// settings (package.json's capabilities.untrustedWorkspaces) are ignored, and the machine's own apply.
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { freePort } from "../../../src/core/util/ports";
import { eventually } from "../../helpers/eventually";
import { TINY } from "../../helpers/paths";
import { openProject, useVsCode } from "./workbench";

describe("VS Code in an untrusted workspace", function () {
  this.timeout(300_000);
  const vscode = useVsCode("untrusted", () => ({}), { trustWorkspaces: false });

  it("ignores the workspace's port and model, and serves on the machine's port", async () => {
    const machinePort = await freePort();
    const workspacePort = await freePort();
    // Settings of the machine the server runs on: not the workspace's, so they apply.
    const machineSettings = path.join(vscode.server.dataDir, "user/Machine/settings.json");
    await mkdir(path.dirname(machineSettings), { recursive: true });
    await writeFile(machineSettings, JSON.stringify({ "squeeze.server.port": machinePort }));
    await openProject(vscode, "untrusted-project", { "squeeze.server.port": workspacePort, "squeeze.model.chat": TINY });

    const health = await eventually(async () => {
      const res = await fetch(`http://127.0.0.1:${machinePort}/health`).catch(() => undefined);
      return res?.ok ? ((await res.json()) as { server: string; models: string[] }) : undefined;
    }, "the server on the machine's port", 120_000, 500);
    assert.equal(health.server, "Squeeze");
    assert.deepEqual(health.models, [], "the workspace's model file is not loaded");
    await assert.rejects(fetch(`http://127.0.0.1:${workspacePort}/health`), "nothing listens on the workspace's port");
  });
});
