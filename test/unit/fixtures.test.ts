// The fixture writer's quantisers: what the generated models are made of.
import assert from "node:assert/strict";
import { fp16ToFp32, fp32ToFp16, fromQ4_0, fromQ8_0, toQ4_0, toQ8_0 } from "../fixtures/quantize";
import { Rng } from "../fixtures/rng";

describe("fixture quantisers", function () {
  const values = new Float32Array(32 * 64);
  new Rng(7).fillNormal(values, 0, 0.05);

  // Q4_0 spans [-8, 7] steps, so the largest value of the other sign is clamped by up to a step.
  for (const [name, quantise, dequantise, levels, steps] of [
    ["Q4_0", toQ4_0, fromQ4_0, 8, 1],
    ["Q8_0", toQ8_0, fromQ8_0, 127, 0.5],
  ] as const) {
    it(`${name} round-trips within ${steps} step of each block's scale`, function () {
      const back = dequantise(quantise(values));
      assert.equal(back.length, values.length);
      for (let b = 0; b < values.length / 32; b++) {
        const block = values.subarray(b * 32, b * 32 + 32);
        const step = Math.max(...block.map(Math.abs)) / levels;
        // The scale is stored as fp16: its rounding (2^-11) is multiplied by up to `levels`.
        const tolerance = step * (steps + levels * 2 ** -11);
        for (let j = 0; j < 32; j++) assert.ok(Math.abs(back[b * 32 + j] - block[j]) <= tolerance, `${name} block ${b}[${j}]`);
      }
    });
  }

  it("converts to fp16 and back exactly for representable values, rounding to nearest otherwise", function () {
    for (const v of [0, 1, -2, 0.5, 65504, 6.103515625e-5]) assert.equal(fp16ToFp32(fp32ToFp16(v)), v);
    assert.equal(fp16ToFp32(fp32ToFp16(1 + 2 ** -11)), 1); // a tie rounds to even
    assert.equal(fp16ToFp32(fp32ToFp16(1 + 3 * 2 ** -11)), 1 + 2 ** -9);
  });
});
