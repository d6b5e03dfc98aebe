import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cpu } from "@nnc/backend-cpu";
import { compileProgram } from "@nnc/compiler";
import { readSafetensors } from "@nnc/core";
import { afterAll, describe, expect, it } from "vitest";
import { buildModel } from "./e2e-support.js";
import { EXAMPLES, nnc, removeScratchDirs, scratchDir } from "./test-support.js";

afterAll(removeScratchDirs);

/** A user's project where @nnc/backend-webgl and @nnc/core are installed, with the S4 model. */
function webglProject(): string {
  const dir = scratchDir({ "package.json": '{ "type": "module" }\n' });
  mkdirSync(join(dir, "node_modules/@nnc"), { recursive: true });
  for (const name of ["backend-webgl", "core"]) {
    symlinkSync(join(EXAMPLES, `../packages/${name}`), join(dir, `node_modules/@nnc/${name}`));
  }
  writeFileSync(
    join(dir, "model.ts"),
    readFileSync(join(EXAMPLES, "seed-002-table/model.ts"), "utf8"),
  );
  return dir;
}

// The WebGL backend needs a browser to run, not to compile: `nnc compile` emits its program in
// Node and writes the model; only --check, which runs it, needs the device.
describe("nnc compile --backend @nnc/backend-webgl (in Node)", () => {
  it("writes a model.js that loads the WebGL program, with the initial weights", async () => {
    const cwd = webglProject();
    const run = await nnc(
      ["compile", "model.ts", "--backend", "@nnc/backend-webgl", "--out", "out"],
      cwd,
    );
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/compiled "seed-002" for webgl \(infer\)/);
    const out = join(cwd, "out");
    expect(JSON.parse(readFileSync(join(out, "report.json"), "utf8")).backend).toBe("webgl");
    const code = readFileSync(join(out, "model.js"), "utf8");
    const imports = [...code.matchAll(/^import .* from (".*");$/gm)].map((m) => m[1]);
    expect(imports).toEqual(['"@nnc/backend-webgl"', '"@nnc/core"']);
    // The embedded module is the WebGL plan: GLSL ES 3.00 fragment shaders.
    const emitted = JSON.parse(code.match(/^const EMITTED = (.*);$/m)![1]!) as { source: string };
    expect(emitted.source.startsWith("export default {")).toBe(true);
    expect(emitted.source).toContain("#version 300 es");
    // Every parameter is stored with its initial value (seeded initialisers, the same for any
    // backend: compared with the CPU backend's compiled program).
    const graph = await buildModel(join(cwd, "model.ts"));
    const { initialParams } = await compileProgram(graph, { backend: cpu() });
    const { tensors } = readSafetensors(
      new Uint8Array(readFileSync(join(out, "model.safetensors"))),
    );
    expect([...tensors.keys()].sort()).toEqual(Object.keys(initialParams).sort());
    for (const [name, tensor] of tensors) {
      expect(Array.from(tensor.data)).toEqual(Array.from(Float32Array.from(initialParams[name]!)));
    }
    const nonZero = [...tensors.values()].filter((t) => Array.from(t.data).some((v) => v !== 0));
    expect(nonZero.length).toBeGreaterThan(0);
  });

  it("refuses --check in Node with NNC4006 and writes nothing", async () => {
    const cwd = webglProject();
    const run = await nnc(
      ["compile", "model.ts", "--backend", "@nnc/backend-webgl", "--out", "out", "--check"],
      cwd,
    );
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/NNC4006.*needs a browser with WebGL2/);
    expect(existsSync(join(cwd, "out"))).toBe(false);
  });
});
