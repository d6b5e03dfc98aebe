import type { TextureLayout } from "../plan.js";
import { texelCoord } from "./index-math.js";
import { SHADER_HEADER, type SplitLayout } from "./shader-builder.js";

/** The sampler of a multi-target kernel's target j in its merge shader. */
export const laneSampler = (j: number) => `u_lane${j}`;

/**
 * The merge shader of a multi-target kernel: copies each texel t of the result (in `out`'s
 * layout) from the target and texel the kernel wrote it to, inverting the kernel's mapping
 * (t = (outer·extent + mid)·laneTexels + inner goes to target mid mod lanes, texel
 * (outer·extent/lanes + mid div lanes)·laneTexels + inner).
 */
export function mergeShader(split: SplitLayout, out: TextureLayout, texels: number): string {
  const { lanes, extent, laneTexels, target } = split;
  const groups = extent / lanes;
  const lane = Array.from({ length: lanes }, (_, j) => j);
  return `${[
    SHADER_HEADER,
    ...lane.map((j) => `uniform sampler2D ${laneSampler(j)};`),
    "out vec4 o;",
    "void main() {",
    `  int t = int(gl_FragCoord.y) * ${out.width} + int(gl_FragCoord.x);`,
    "  o = vec4(0);",
    `  if (t >= ${texels}) return;`,
    `  int inner = t % ${laneTexels};`,
    `  int r = t / ${laneTexels};`,
    `  int mid = r % ${extent};`,
    `  int s = ((r / ${extent}) * ${groups} + mid / ${lanes}) * ${laneTexels} + inner;`,
    `  ivec2 at = ${texelCoord("s", target)};`,
    `  int j = mid % ${lanes};`,
    ...lane.map(
      (j) =>
        `  ${j === 0 ? "if" : "else if"} (j == ${j}) o = texelFetch(${laneSampler(j)}, at, 0);`,
    ),
    "}",
  ].join("\n")}\n`;
}
