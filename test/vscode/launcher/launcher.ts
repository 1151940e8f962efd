// Runs an extension test suite the way desktop VS Code does for runTests: reads
// --extensionDevelopmentPath, --extensionTestsPath, --user-data-dir and the folder to open, starts
// the VS Code server, opens the workbench in headless Chromium with the smoke-test payload, relays
// the suite's console output and exits with the suite's exit code.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { format } from "node:util";
import { launchChromium, startVsCodeServer, workbenchUrl } from "../vscodeServer";

const SUITE_TIMEOUT_MS = Number(process.env.SQUEEZE_SUITE_TIMEOUT_MS ?? 15 * 60_000);

function parse(argv: string[]) {
  const named = new Map<string, string>();
  const positional: string[] = [];
  for (const arg of argv) {
    const match = /^--([^=]+)=(.*)$/s.exec(arg);
    if (match) named.set(match[1], match[2]);
    else if (!arg.startsWith("--")) positional.push(arg);
    // Other flags for desktop Electron (--no-sandbox, --disable-updates, ...) mean nothing here.
  }
  const need = (name: string) => {
    const value = named.get(name);
    if (!value) throw new Error(`launcher: --${name}=<path> is required`);
    return value;
  };
  return {
    developmentPath: need("extensionDevelopmentPath"),
    testsPath: need("extensionTestsPath"),
    dataDir: named.get("user-data-dir"),
    extensionsDir: named.get("extensions-dir"),
    folder: positional[0],
    trustAll: argv.includes("--disable-workspace-trust"),
  };
}

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  const scratch = await mkdtemp(path.join(os.tmpdir(), "squeeze-vscode-"));
  const dataDir = args.dataDir ? path.join(args.dataDir, "server") : path.join(scratch, "server");
  // runTests opens the test workspace trusted, as desktop VS Code does with this flag.
  const server = await startVsCodeServer({ dataDir, extensionsDir: args.extensionsDir, trustWorkspaces: args.trustAll });
  const browser = await launchChromium(path.join(scratch, "chromium"));
  try {
    const exitCode = new Promise<number>((resolve) => {
      const timer = setTimeout(() => {
        console.error(`launcher: the suite did not finish in ${SUITE_TIMEOUT_MS / 1000} s`);
        resolve(1);
      }, SUITE_TIMEOUT_MS);
      void (async () => {
        const page = await browser.newPage();
        await page.exposeFunction("codeAutomationLog", (type: string, args: unknown[]) => {
          const text = format(...args);
          // The workbench's own chatter ("[AgentHost] ...") is not the suite's.
          if (/^\[[A-Za-z]+\] /.test(text)) return;
          (type === "error" ? process.stderr : process.stdout).write(`${text}\n`);
        });
        await page.exposeFunction("codeAutomationExit", (code: number) => {
          clearTimeout(timer);
          resolve(code);
        });
        await page.goto(
          workbenchUrl(server, {
            folder: args.folder ?? scratch,
            extensionDevelopmentPath: args.developmentPath,
            extensionTestsPath: args.testsPath,
          }),
        );
      })().catch((err) => {
        clearTimeout(timer);
        console.error("launcher:", err);
        resolve(1);
      });
    });
    return await exitCode;
  } finally {
    await browser.close();
    await server.close();
    await rm(scratch, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error("launcher:", err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
