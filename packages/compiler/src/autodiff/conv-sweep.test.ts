import { createRng, type Padding2d, type Pair } from "@nnc/core";
import { describe, expect, it } from "vitest";
import { adjointChecks } from "./test-support.js";

// conv2d's transpose rules (w.r.t. the input: conv2d_transpose; w.r.t. the kernel:
// conv2d_backward_kernel) over every combination the issue names: stride 1–3, padding valid /
// same / explicit asymmetric, dilation 1–2, groups 1 / 2 / depthwise.

const strides = [1, 2, 3];
const dilations = [1, 2];
const groupings = [
  { name: "groups 1", channels: 4, filters: 6, groups: 1 },
  { name: "groups 2", channels: 4, filters: 6, groups: 2 },
  { name: "depthwise", channels: 4, filters: 4, groups: 4 },
];
const kernel: Pair = [3, 2];
const input: Pair = [9, 8];

/** TensorFlow-style "same" padding for one axis. */
function same(size: number, window: number, stride: number): Pair {
  const total = Math.max((Math.ceil(size / stride) - 1) * stride + window - size, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

function paddings(stride: number, dilation: number): [string, Padding2d][] {
  const window: Pair = [(kernel[0] - 1) * dilation + 1, (kernel[1] - 1) * dilation + 1];
  return [
    [
      "valid",
      [
        [0, 0],
        [0, 0],
      ],
    ],
    ["same", [same(input[0], window[0], stride), same(input[1], window[1], stride)]],
    [
      "explicit",
      [
        [2, 0],
        [1, 3],
      ],
    ],
  ];
}

const cases = strides.flatMap((stride) =>
  dilations.flatMap((dilation) =>
    groupings.flatMap((grouping) =>
      paddings(stride, dilation).map(([paddingName, padding]) => ({
        title: `stride ${stride}, dilation ${dilation}, ${grouping.name}, ${paddingName} padding`,
        stride,
        dilation,
        grouping,
        padding,
      })),
    ),
  ),
);

describe("conv2d transpose rules", () => {
  it("covers 54 configurations", () => expect(cases.length).toBe(54));

  it.each(cases)(
    "satisfy the adjoint identity: $title",
    ({ stride, dilation, grouping, padding }) => {
      const sample = {
        inputs: [
          { dtype: "float32" as const, shape: [2, grouping.channels, ...input] },
          {
            dtype: "float32" as const,
            shape: [grouping.filters, grouping.channels / grouping.groups, ...kernel],
          },
        ],
        attrs: {
          strides: [stride, stride],
          padding,
          dilations: [dilation, dilation],
          groups: grouping.groups,
        },
      };
      const checks = adjointChecks(
        "conv2d",
        sample,
        createRng(stride * 100 + dilation * 10 + grouping.groups),
      );
      expect(checks.map((c) => c.operands)).toEqual([[0], [1]]);
      for (const { lhs, rhs } of checks)
        expect(Math.abs(lhs - rhs)).toBeLessThan(1e-9 * (1 + Math.abs(lhs)));
    },
  );
});
