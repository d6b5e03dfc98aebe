import { cpu } from "@nnc/backend-cpu";
import { compile } from "@nnc/compiler";
import { evaluate, GraphBuilder, readSafetensors } from "@nnc/core";
import { Project } from "ts-morph";
import { afterAll, describe, expect, it } from "vitest";
import {
  maxRelativeError,
  randomValues,
  removeTempDirs,
  runInFreshNode,
  writeOutsideRepo,
} from "./test-support.js";
import { writeStandaloneFiles } from "./write-standalone-files.js";

// Each would run `globalThis.pwned = 1` if it were spliced into code, a comment or a template.
// (Core rejects control characters such as newlines in names; U+2028 ends a line comment.)
const QUOTES = '"); globalThis.pwned = 1; ("';
const SINGLE = "'); globalThis.pwned = 1; ('";
const COMMENT = "*/ globalThis.pwned = 1; /*";
// biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder is the attack under test
const TEMPLATE = "`${globalThis.pwned = 1}`";
const LINE = "\u2028globalThis.pwned = 1; //\u2029";
const BACKSLASH = '\\"); globalThis.pwned = 1; //';
const MODEL = `${TEMPLATE} ${COMMENT} ${QUOTES} ${LINE}`;

function hostileGraph() {
  const g = new GraphBuilder(MODEL);
  const x = g.input(QUOTES, [2, 3]);
  const y = g.input("__proto__", [2, 2]);
  const w = g.param("constructor", [3, 2], { seed: 1 });
  const b = g.param(`${COMMENT}${SINGLE}`, [2], { init: "ones" });
  const h = g.add(g.matmul(x, w), y);
  g.output(TEMPLATE, h);
  g.output(LINE, g.relu(h));
  g.output("hasOwnProperty", g.mul(h, b));
  g.output(BACKSLASH, g.mul(h, 2));
  return g.build();
}

afterAll(removeTempDirs);

describe("standalone files with hostile names", () => {
  it("inject nothing: the module loads, runs, and every name round-trips as a key", async () => {
    const graph = hostileGraph();
    const exe = await compile(graph, { backend: cpu() });
    const files = writeStandaloneFiles(exe, { name: MODEL });
    const dir = writeOutsideRepo(files);
    const feeds = { [QUOTES]: randomValues(6, 1), ["__proto__"]: randomValues(4, 2) };
    // Built with defineProperty-like semantics: JSON.parse makes "__proto__" an own key.
    const result = runInFreshNode(
      dir,
      `const m = await model.load();
      const outputs = m.run(data.feeds);
      const params = m.getParams();
      m.setParams(params);
      print({
        pwned: "pwned" in globalThis,
        outputs,
        outputProto: Object.getPrototypeOf(outputs),
        paramNames: Object.keys(params),
        inputNames: model.inputs.map((t) => t.name),
        outputNames: model.outputs.map((t) => t.name),
      });`,
      { feeds },
    ) as {
      pwned: boolean;
      outputs: Record<string, number[]>;
      outputProto: unknown;
      paramNames: string[];
      inputNames: string[];
      outputNames: string[];
    };
    expect(result.pwned).toBe(false);
    expect("pwned" in globalThis).toBe(false);
    expect(result.outputProto).toBe(null);
    expect(result.inputNames).toEqual([QUOTES, "__proto__"]);
    expect(result.outputNames).toEqual([TEMPLATE, LINE, "hasOwnProperty", BACKSLASH]);
    expect(result.paramNames).toEqual(["constructor", `${COMMENT}${SINGLE}`]);
    const reference = evaluate(graph, { ...feeds, ...exe.getParams() });
    expect(Object.keys(result.outputs)).toEqual(Object.keys(reference));
    for (const [name, values] of Object.entries(result.outputs)) {
      expect(maxRelativeError(values, reference[name]!)).toBeLessThan(1e-5);
    }
    const weights = readSafetensors(files["model.safetensors"]);
    expect([...weights.tensors.keys()]).toEqual(["constructor", `${COMMENT}${SINGLE}`]);
    expect(weights.metadata.model).toBe(MODEL);
    // The names appear in model.js only as JSON string data.
    expect(files["model.js"]).not.toContain(QUOTES);
    expect(files["model.js"]).not.toContain("\u2028");
    // model.d.ts parses cleanly, with exactly the names as quoted property keys.
    const project = new Project({ useInMemoryFileSystem: true });
    const dts = project.createSourceFile("model.d.ts", files["model.d.ts"]);
    expect(dts.getPreEmitDiagnostics().map((d) => d.getMessageText())).toEqual([]);
    expect(dts.getStatements().length).toBe(9);
    const keys = (name: string) =>
      dts
        .getInterfaceOrThrow(name)
        .getProperties()
        .map((p) => JSON.parse(p.getName()) as string);
    expect(keys("Inputs")).toEqual([QUOTES, "__proto__"]);
    expect(keys("Outputs")).toEqual([TEMPLATE, LINE, "hasOwnProperty", BACKSLASH]);
    expect(keys("Params")).toEqual(["constructor", `${COMMENT}${SINGLE}`]);
  });
});
