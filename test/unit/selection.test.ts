// Model selection on hardware profiles of real machines (test/fixtures/hardware), on AC and on
// battery: backend, device and variant for both roles, and the reasons given.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { builtinCatalog } from "../../src/core/catalog/catalog";
import { profileSchema, type HardwareProfile } from "../../src/core/hardware/profileSchema";
import { selectModels } from "../../src/core/selection/select";
import { DEFAULT_PREFERENCES, selectionSchema, type Choice, type Preferences } from "../../src/core/selection/types";

const FIXTURES = path.join(__dirname, "../fixtures/hardware");

function profile(name: string): HardwareProfile {
  return profileSchema.parse(JSON.parse(readFileSync(path.join(FIXTURES, `${name}.json`), "utf8")));
}

function select(p: HardwareProfile, onBattery: boolean, preferences: Partial<Preferences> = {}) {
  return selectionSchema.parse(
    selectModels({ profile: p, catalog: builtinCatalog(), preferences: { ...DEFAULT_PREFERENCES, ...preferences }, power: { onBattery } }),
  );
}

/** "model [variant] backend device-kind/api" */
const summary = (c: Choice | undefined) => (c ? `${c.modelId} [${c.variant.id}] ${c.backend} ${c.device.kind}/${c.device.api}` : "nothing");

type Expected = { chat: string; completion: string; chatWhy: RegExp[]; completionWhy: RegExp[] };

const EXPECTED: Record<string, { ac: Expected; battery: Expected }> = {
  "ryzen-ai-9-hx-370-laptop": {
    ac: {
      chat: "qwen3-4b [hybrid] ryzenai npu/hybrid",
      chatWhy: [/the NPU runs it at 5-8 W/, /XDNA2 NPU .*Windows PnP id 1022:17f0.*ryzenai-server/, /prompt on the NPU, generation on the iGPU/],
      completion: "qwen2.5-coder-1.5b-instruct [q4_k_m] llama.cpp gpu/vulkan",
      completionWhy: [/integrated GPU/, /Vulkan/, /fill-in-the-middle/, /the NPU runs one model at a time and holds the chat model/],
    },
    battery: {
      chat: "qwen3-4b [flm] flm npu/npu",
      chatWhy: [/on battery: the NPU draws the least power/, /FastFlowLM runs it entirely on the NPU/],
      completion: "qwen2.5-coder-0.5b-instruct [q4_k_m] llama.cpp gpu/vulkan",
      completionWhy: [/on battery: models up to about 0.6B/, /on battery: the integrated GPU draws less than the CPU/],
    },
  },
  "ryzen-ai-max-plus-395": {
    ac: {
      chat: "qwen3-8b [q4_k_m] llama.cpp gpu/vulkan",
      chatWhy: [/unified memory holds models bigger than the NPU runs/, /8060S.*fast unified memory/],
      completion: "qwen2.5-coder-3b-instruct [q4_k_m] llama.cpp gpu/vulkan",
      completionWhy: [/keep up with typing: models up to about 3.5B/],
    },
    battery: {
      chat: "qwen3-4b [flm] flm npu/npu",
      chatWhy: [/on battery: the NPU draws the least power/],
      completion: "qwen2.5-coder-1.5b-instruct [q4_k_m] llama.cpp gpu/vulkan",
      completionWhy: [/the NPU runs one model at a time/, /on battery/],
    },
  },
  "ryzen-7-7840u-laptop": {
    ac: {
      chat: "qwen3-4b [q4_k_m] llama.cpp gpu/vulkan",
      chatWhy: [/780M, an integrated GPU/],
      completion: "qwen2.5-coder-1.5b-instruct [q4_k_m] llama.cpp gpu/vulkan",
      completionWhy: [/fill-in-the-middle/],
    },
    battery: {
      chat: "qwen3-1.7b [q4_k_m] llama.cpp gpu/vulkan",
      chatWhy: [/on battery: models up to about 2B/],
      completion: "qwen2.5-coder-0.5b-instruct [q4_k_m] llama.cpp gpu/vulkan",
      completionWhy: [/on battery/],
    },
  },
  "intel-core-ultra-7-155h-laptop": {
    ac: {
      chat: "qwen3-4b [q4_k_m] llama.cpp gpu/vulkan",
      chatWhy: [/Arc\(TM\) Graphics, an integrated GPU/],
      completion: "qwen2.5-coder-1.5b-instruct [q4_k_m] llama.cpp gpu/vulkan",
      completionWhy: [/Vulkan/],
    },
    battery: {
      chat: "qwen3-1.7b [q4_k_m] llama.cpp gpu/vulkan",
      chatWhy: [/on battery/],
      completion: "qwen2.5-coder-0.5b-instruct [q4_k_m] llama.cpp gpu/vulkan",
      completionWhy: [/on battery/],
    },
  },
  "snapdragon-x-elite-laptop": {
    ac: {
      chat: "phi-4-mini-instruct [dml] onnx gpu/dml",
      chatWhy: [/Adreno.*integrated GPU/, /DirectML/],
      completion: "qwen2.5-coder-1.5b-instruct [q4_k_m] llama.cpp cpu/cpu",
      completionWhy: [/12 cores/, /llama.cpp runs it on the CPU/],
    },
    battery: {
      chat: "llama-3.2-1b-instruct [dml] onnx gpu/dml",
      chatWhy: [/on battery: the integrated GPU draws less than the CPU/],
      completion: "qwen2.5-coder-0.5b-instruct [q4_k_m] llama.cpp cpu/cpu",
      completionWhy: [/on battery: no lower-power device runs this model/],
    },
  },
  "macbook-air-m3-16gb": {
    ac: {
      chat: "qwen3-8b [q4_k_m] llama.cpp gpu/metal",
      chatWhy: [/Apple M3, an integrated GPU with fast unified memory/, /Metal/],
      completion: "qwen2.5-coder-3b-instruct [q4_k_m] llama.cpp gpu/metal",
      completionWhy: [/Metal/],
    },
    battery: {
      chat: "qwen3-4b [q4_k_m] llama.cpp gpu/metal",
      chatWhy: [/on battery: models up to about 4.5B/],
      completion: "qwen2.5-coder-1.5b-instruct [q4_k_m] llama.cpp gpu/metal",
      completionWhy: [/on battery/],
    },
  },
  "desktop-rtx-4090": {
    ac: {
      chat: "qwen3-8b [q4_k_m] llama.cpp gpu/cuda",
      chatWhy: [/discrete GPU runs the biggest models fastest/, /RTX 4090 with 24 GB of VRAM/, /CUDA/],
      completion: "qwen2.5-coder-7b-instruct [q4_k_m] llama.cpp gpu/cuda",
      completionWhy: [/models up to about 8B/],
    },
    // A desktop has no battery: the same choices, with a note.
    battery: {
      chat: "qwen3-8b [q4_k_m] llama.cpp gpu/cuda",
      chatWhy: [/CUDA/],
      completion: "qwen2.5-coder-7b-instruct [q4_k_m] llama.cpp gpu/cuda",
      completionWhy: [/CUDA/],
    },
  },
  "linux-rx-7900-xtx": {
    ac: {
      chat: "qwen3-8b [q4_k_m] llama.cpp gpu/vulkan",
      chatWhy: [/Navi 31 .* with 24 GB of VRAM/, /Vulkan/],
      completion: "qwen2.5-coder-7b-instruct [q4_k_m] llama.cpp gpu/vulkan",
      completionWhy: [/Vulkan/],
    },
    battery: {
      chat: "qwen3-8b [q4_k_m] llama.cpp gpu/vulkan",
      chatWhy: [/Vulkan/],
      completion: "qwen2.5-coder-7b-instruct [q4_k_m] llama.cpp gpu/vulkan",
      completionWhy: [/Vulkan/],
    },
  },
  "vm-2-vcpu-no-gpu": {
    ac: {
      chat: "qwen3-1.7b [q4_k_m] llama.cpp cpu/cpu",
      chatWhy: [/no GPU or NPU that Squeeze can use was found/, /2 cores/, /models up to about 2B parameters answer at a readable speed/],
      completion: "qwen2.5-coder-0.5b-instruct [q4_k_m] llama.cpp cpu/cpu",
      completionWhy: [/keep up with typing: models up to about 0.6B/],
    },
    battery: {
      chat: "qwen3-1.7b [q4_k_m] llama.cpp cpu/cpu",
      chatWhy: [/CPU/],
      completion: "qwen2.5-coder-0.5b-instruct [q4_k_m] llama.cpp cpu/cpu",
      completionWhy: [/CPU/],
    },
  },
};

describe("model selection on recorded machines", function () {
  for (const [machine, expected] of Object.entries(EXPECTED)) {
    for (const power of ["ac", "battery"] as const) {
      it(`${machine} on ${power === "ac" ? "AC" : "battery"}`, function () {
        const selection = select(profile(machine), power === "battery");
        const want = expected[power];
        assert.equal(summary(selection.chat[0]), want.chat, "chat");
        assert.equal(summary(selection.completion[0]), want.completion, "completion");
        for (const [role, patterns] of [["chat", want.chatWhy], ["completion", want.completionWhy]] as const) {
          const reasons = selection[role][0].reasons.join("\n");
          for (const pattern of patterns) assert.match(reasons, pattern, `${role} reasons:\n${reasons}`);
        }
        for (const c of selection.completion) assert.ok(c.reasons.some((r) => /fill-in-the-middle/.test(r)));
      });
    }
  }

  it("picks embedding and reranking models of their own on every machine, never as chat or completion models", function () {
    for (const machine of Object.keys(EXPECTED)) {
      for (const onBattery of [false, true]) {
        const selection = select(profile(machine), onBattery);
        const what = `${machine}${onBattery ? " on battery" : ""}`;
        assert.ok(["nomic-embed-text-v1.5", "qwen3-embedding-0.6b"].includes(selection.embedding[0]?.modelId ?? ""), `${what}: ${summary(selection.embedding[0])}`);
        assert.equal(selection.rerank[0]?.modelId, "bge-reranker-v2-m3", what);
        assert.match(selection.embedding[0]!.reasons.join("\n"), /turns texts into vectors/);
        const encoders = new Set([...selection.embedding, ...selection.rerank].map((c) => c.modelId));
        assert.ok(![...selection.chat, ...selection.completion].some((c) => encoders.has(c.modelId)), what);
        // The NPU runtimes run generating models only: these run on llama.cpp.
        assert.ok([...selection.embedding, ...selection.rerank].every((c) => c.backend === "llama.cpp"), what);
      }
    }
    assert.equal(select(profile("ryzen-7-7840u-laptop"), true).embedding[0]?.modelId, "nomic-embed-text-v1.5", "on battery, the smallest");
    assert.equal(select(profile("ryzen-7-7840u-laptop"), false).embedding[0]?.modelId, "qwen3-embedding-0.6b", "on AC, the better one");
  });

  it("every machine explains the hardware it cannot use", function () {
    const notes = (name: string) => select(profile(name), false).notes.join("\n");
    assert.match(notes("ryzen-7-7840u-laptop"), /XDNA NPU .* need an XDNA2 NPU/);
    assert.match(notes("intel-core-ultra-7-155h-laptop"), /OpenVINO/);
    assert.match(notes("snapdragon-x-elite-laptop"), /Hexagon NPU needs ONNX Runtime's QNN provider/);
    assert.match(notes("macbook-air-m3-16gb"), /Neural Engine/);
    assert.match(select(profile("desktop-rtx-4090"), true).notes.join("\n"), /no battery: ranked as on AC/);
  });

  it("offers no recipe whose runtime is missing", function () {
    const hx = profile("ryzen-ai-9-hx-370-laptop");
    const without = (kept: string[]) => {
      const p = { ...hx, runtimes: { ...hx.runtimes, npu: hx.runtimes.npu.filter((r) => kept.includes(r.runtime)) } };
      const s = select(p, false);
      return { recipes: new Set([...s.chat, ...s.completion].map((c) => c.recipe)), notes: s.notes.join("\n"), top: summary(s.chat[0]) };
    };
    const none = without([]);
    assert.ok(!["ryzenai-npu", "ryzenai-hybrid", "flm"].some((r) => none.recipes.has(r as never)), [...none.recipes].join());
    assert.match(none.notes, /install AMD's NPU runtime/);
    assert.equal(none.top, "qwen3-4b [q4_k_m] llama.cpp gpu/vulkan");
    const flmOnly = without(["flm"]);
    assert.ok(flmOnly.recipes.has("flm") && !flmOnly.recipes.has("ryzenai-hybrid"));
    assert.equal(flmOnly.top, "qwen3-4b [flm] flm npu/npu");
    const noVulkan = select({ ...hx, runtimes: { ...hx.runtimes, llamaCppGpu: [], npu: [] } }, false);
    assert.ok(noVulkan.chat.every((c) => c.device.kind !== "gpu" || c.recipe === "onnx-dml"), "no llama.cpp GPU build, no llama.cpp GPU choice");
  });

  it("never picks a model over 80% of RAM, nor one a GPU cannot hold", function () {
    const vm = profile("vm-2-vcpu-no-gpu");
    const small = { ...vm, memory: { totalBytes: 2e9, availableBytes: 1e9 } };
    const s = select(small, false);
    for (const c of [...s.chat, ...s.completion]) {
      assert.ok(c.variant.sizeGB * 1e9 <= 0.8 * 2e9 && c.variant.minRamGB <= 2, `${c.modelId} [${c.variant.id}]`);
    }
    assert.ok(s.chat.length > 0, "the smallest models still fit in 2 GB");
    const tiny = select({ ...vm, memory: { totalBytes: 0.5e9, availableBytes: 0.2e9 } }, false);
    assert.deepEqual([tiny.chat.length, tiny.completion.length], [0, 0]);

    const desk = profile("desktop-rtx-4090");
    const small4090 = { ...desk, gpus: desk.gpus.map((g) => ({ ...g, vramBytes: g.kind === "discrete" ? 4e9 : g.vramBytes })) };
    const onGpu = select(small4090, false).chat.filter((c) => c.device.name.includes("4090"));
    assert.ok(onGpu.length > 0 && onGpu.every((c) => c.variant.sizeGB * 1.2 <= 4), onGpu.map(summary).join());
  });

  it("follows the device preference and the battery policy", function () {
    const hx = profile("ryzen-ai-9-hx-370-laptop");
    const cpu = select(hx, false, { device: "cpu" });
    assert.ok(cpu.chat.length > 0 && [...cpu.chat, ...cpu.completion].every((c) => c.device.kind === "cpu"));
    assert.equal(summary(select(hx, false, { device: "gpu" }).chat[0]), "qwen3-4b [q4_k_m] llama.cpp gpu/vulkan");
    const vmNpu = select(profile("vm-2-vcpu-no-gpu"), false, { device: "npu" });
    assert.equal(vmNpu.chat[0]?.device.kind, "cpu", "no NPU: every device is ranked instead");
    assert.match(vmNpu.notes.join("\n"), /nothing for chat runs on the NPU/);
    const ignored = select(hx, true, { batteryPolicy: "ignore" });
    assert.equal(summary(ignored.chat[0]), EXPECTED["ryzen-ai-9-hx-370-laptop"].ac.chat);
    assert.match(ignored.notes.join("\n"), /battery policy is off/);
  });

  it("ranks the same inputs the same way (a pure function)", function () {
    const p = profile("ryzen-ai-max-plus-395");
    assert.deepEqual(select(p, true), select(structuredClone(p), true));
  });
});
