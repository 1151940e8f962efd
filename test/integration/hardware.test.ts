// The hardware probe on this machine, and the pieces that read other machines' hardware.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { classifyGpu, gpusFromPci } from "../../src/core/hardware/gpus";
import { detectNpus, pnpToPci } from "../../src/core/hardware/npus";
import { linuxPciDevices } from "../../src/core/hardware/pciDevices";
import { probeHardware } from "../../src/core/hardware/probe";
import { profileSchema } from "../../src/core/hardware/profileSchema";
import { selectionSchema } from "../../src/core/selection/types";
import { runSqueeze } from "../helpers/squeezeProcess";

describe("hardware probe", function () {
  it("reads this machine without throwing, in the profile's schema", async function () {
    const profile = profileSchema.parse(await probeHardware());
    assert.equal(profile.os.platform, process.platform);
    assert.equal(profile.cpu.logicalCores, os.availableParallelism());
    assert.equal(profile.memory.totalBytes, os.totalmem());
    assert.ok(profile.runtimes.onnxProviders?.includes("cpu"), "onnxruntime-node's CPU provider is always usable");
    assert.ok(Array.isArray(profile.runtimes.llamaCppGpu), `llama.cpp GPU types unread: ${profile.unknown.join("; ")}`);
    // Read once per process: a second probe gives the same machine (the battery is read again).
    const again = await probeHardware();
    assert.deepEqual({ ...again, probedAt: "", battery: null }, { ...profile, probedAt: "", battery: null });
  });

  it("squeeze probe --json prints a valid profile and selection; the text form explains it", async function () {
    const json = await runSqueeze(["probe", "--json"]);
    assert.equal(json.code, 0, json.output);
    const report = JSON.parse(json.output) as { profile: unknown; selection: unknown; power: { onBattery: boolean } };
    profileSchema.parse(report.profile);
    const selection = selectionSchema.parse(report.selection);
    assert.ok(selection.chat.length > 0 && selection.completion.length > 0, "a CPU machine always gets choices");
    assert.ok(selection.chat.every((c) => c.device.kind === "cpu"), "no GPU or NPU here");

    const battery = JSON.parse((await runSqueeze(["probe", "--json", "--battery"])).output) as { power: { onBattery: boolean } };
    assert.equal(battery.power.onBattery, true);

    const text = await runSqueeze(["probe", "--top", "1"]);
    assert.equal(text.code, 0, text.output);
    for (const heading of ["Hardware:", "CPU", "Memory", "Chat:", "Completion:"]) assert.ok(text.output.includes(heading), heading);
    assert.match(text.output, /1\. \S+ \[\S+\] on CPU/);
    assert.doesNotMatch(text.output, /\n {2}2\. /, "--top 1 prints one choice per role");
  });

  it("ranks a saved profile of another machine with --profile", async function () {
    const saved = path.join(__dirname, "../fixtures/hardware/ryzen-ai-9-hx-370-laptop.json");
    const { code, output } = await runSqueeze(["probe", "--profile", saved, "--ac", "--top", "1"]);
    assert.equal(code, 0, output);
    assert.match(output, /NPU {9}AMD XDNA2 NPU .*Windows PnP id 1022:17f0/);
    assert.match(output, /Chat:\n {2}1\. qwen3-4b \[hybrid\] on NPU/);
    // Whole `probe --json` output works too.
    const report = await runSqueeze(["probe", "--json", "--profile", saved]);
    const dir = await mkdtemp(path.join(os.tmpdir(), "squeeze-profile-"));
    try {
      await writeFile(path.join(dir, "report.json"), report.output);
      const again = await runSqueeze(["probe", "--json", "--profile", path.join(dir, "report.json")]);
      assert.deepEqual(JSON.parse(again.output).selection, JSON.parse(report.output).selection);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("refuses bad probe arguments with exit code 2", async function () {
    for (const [args, message] of [
      [["probe", "--device", "tpu"], /--device must be auto, npu, gpu or cpu/],
      [["probe", "--battery", "--ac"], /cannot both be given/],
      [["probe", "--top", "0"], /--top must be a whole number/],
      [["probe", "--profile", "/nonexistent.json"], /--profile \/nonexistent.json cannot be read/],
      [["probe", "--profile", __filename], /is not JSON/],
      [["probe", "--profile", path.join(__dirname, "../../package.json")], /is not a hardware profile \(schemaVersion: /],
    ] as Array<[string[], RegExp]>) {
      const { code, output } = await runSqueeze(args);
      assert.equal(code, 2, output);
      assert.match(output, message);
    }
  });

  it("classifies GPUs by the names Windows, macOS and lspci give them", function () {
    const cases: Array<[string, string, number | null, boolean | null, string, string, boolean]> = [
      ["Advanced Micro Devices, Inc.", "AMD Radeon(TM) 890M Graphics", 512, null, "amd", "integrated", false],
      ["Advanced Micro Devices, Inc.", "AMD Radeon(TM) 8060S Graphics", 512, null, "amd", "integrated", true],
      ["Advanced Micro Devices, Inc. [AMD/ATI]", "Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M]", 24576, false, "amd", "discrete", false],
      ["NVIDIA", "NVIDIA GeForce RTX 4090", 24564, false, "nvidia", "discrete", false],
      ["Intel Corporation", "Intel(R) Arc(TM) Graphics", 128, true, "intel", "integrated", false],
      ["Intel Corporation", "Intel(R) Arc(TM) A770 Graphics", 16288, false, "intel", "discrete", false],
      ["Qualcomm", "Qualcomm(R) Adreno(TM) X1-85 GPU", null, null, "qualcomm", "integrated", false],
      ["Apple", "Apple M3", null, true, "apple", "integrated", true],
      ["Microsoft", "Microsoft Basic Render Driver", 0, null, "other", "unknown", false],
    ];
    for (const [vendor, model, vramMB, vramDynamic, v, kind, unified] of cases) {
      const gpu = classifyGpu({ vendor, model, vramMB, vramDynamic });
      assert.deepEqual([gpu.vendor, gpu.kind, gpu.unifiedMemory], [v, kind, unified], model);
      assert.equal(gpu.vramBytes, vramMB ? vramMB * 1024 * 1024 : null, model);
    }
    const fromPci = gpusFromPci([
      { vendor: "10de", device: "2684", classCode: "030000", driver: "nvidia" },
      { vendor: "1af4", device: "1050", classCode: "030000", driver: undefined },
      { vendor: "1022", device: "17f0", classCode: "118000", driver: "amdxdna" },
    ]).map(classifyGpu);
    assert.deepEqual(fromPci.map((g) => [g.vendor, g.kind]), [["nvidia", "discrete"]]);
  });

  it("finds NPUs by PCI id, driver, Windows PnP id, CPU name and platform", function () {
    const none = { platform: "linux", arch: "x64", cpuBrand: "AMD EPYC 9B14", pci: [] };
    assert.deepEqual(detectNpus(none), []);
    const xdna2 = detectNpus({ ...none, pci: [{ vendor: "1022", device: "17f0", driver: "amdxdna", source: "PCI" }] });
    assert.deepEqual(xdna2.map((n) => [n.vendor, n.generation, n.detectedBy]), [["amd", "xdna2", "PCI 1022:17f0, driver amdxdna"]]);
    const xdna1 = detectNpus({ ...none, pci: [{ vendor: "1022", device: "1502", source: "PCI" }] });
    assert.deepEqual(xdna1.map((n) => [n.generation, n.detectedBy]), [["xdna", "PCI 1022:1502, no driver loaded"]]);
    const unknownId = detectNpus({ ...none, pci: [{ vendor: "8086", device: "ffff", driver: "intel_vpu", source: "PCI" }] });
    assert.equal(unknownId[0]?.vendor, "intel", "an unknown id with the NPU driver bound is still an NPU");

    const pnp = pnpToPci(["PCI\\VEN_1022&DEV_17F0&SUBSYS_00000000&REV_10\\4&1", "ACPI\\AMDI0010\\3", "PCI\\VEN_8086&DEV_7D1D&SUBSYS_1"]);
    const windows = detectNpus({ platform: "win32", arch: "x64", cpuBrand: null, pci: pnp });
    assert.deepEqual(windows.map((n) => [n.vendor, n.detectedBy]), [["amd", "Windows PnP id 1022:17f0"], ["intel", "Windows PnP id 8086:7d1d"]]);

    const byName = (cpuBrand: string, platform = "win32", arch = "x64") => detectNpus({ platform, arch, cpuBrand, pci: [] })[0];
    assert.equal(byName("AMD Ryzen AI 9 HX 370 w/ Radeon 890M")?.generation, "xdna2");
    assert.equal(byName("AMD RYZEN AI MAX+ 395 w/ Radeon 8060S")?.generation, "xdna2");
    assert.equal(byName("AMD Ryzen 7 7840U w/ Radeon 780M Graphics"), undefined, "7040s are found by PCI id only");
    assert.equal(byName("Snapdragon(R) X Elite - X1E78100 - Qualcomm(R) Oryon(TM) CPU", "win32", "arm64")?.vendor, "qualcomm");
    assert.equal(byName("Apple M3", "darwin", "arm64")?.vendor, "apple");
    assert.equal(byName("Intel(R) Core(TM) i7-8550U CPU"), undefined);
  });

  it("reads PCI devices from a sysfs tree and skips what it cannot read", async function () {
    const root = await mkdtemp(path.join(os.tmpdir(), "squeeze-sysfs-"));
    try {
      const device = async (name: string, files: Record<string, string>, driver?: string) => {
        await mkdir(path.join(root, name));
        for (const [file, text] of Object.entries(files)) await writeFile(path.join(root, name, file), text);
        if (driver) await symlink(path.join(root, "drivers", driver), path.join(root, name, "driver"));
      };
      await device("0000:c4:00.1", { vendor: "0x1022\n", device: "0x17f0\n", class: "0x118000\n" }, "amdxdna");
      await device("0000:c3:00.0", { vendor: "0x1002\n", device: "0x150e\n", class: "0x030000\n" });
      await device("0000:00:00.0", { vendor: "0x8086\n" }); // incomplete: skipped
      const devices = await linuxPciDevices(root);
      assert.deepEqual(
        devices.sort((a, b) => a.vendor.localeCompare(b.vendor)),
        [
          { vendor: "1002", device: "150e", classCode: "030000", driver: undefined },
          { vendor: "1022", device: "17f0", classCode: "118000", driver: "amdxdna" },
        ],
      );
      assert.deepEqual(await linuxPciDevices(path.join(root, "missing")), []);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
