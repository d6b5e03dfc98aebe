import {
  BACKEND_API_VERSION,
  type EmittedModule,
  NncError,
  type Node,
  type Program,
  sizeOf,
} from "@nnc/core";
import type { EmitContext, NodeEmitter, PrimitiveOp } from "./emit-context.js";
import { ModuleEmitContext } from "./emit-context-impl.js";
import { emitFusedKernel } from "./kernels/elementwise.js";
import { element, indent } from "./kernels/loop-nest.js";
import { wasmScratchLayout } from "./kernels/matmul.js";

/** Kernel emitters by primitive op: the backend's full table, or a subset in tests. */
export type KernelTable = Readonly<Partial<Record<PrimitiveOp, NodeEmitter>>>;

/**
 * Emits the JavaScript module of a program:
 *
 * ```js
 * export default function createProgram(arena, nncWasm) {
 *   const arenaF = new Float32Array(arena), arenaI = new Int32Array(arena), arenaU = new Uint8Array(arena);
 *   const F = arenaF, I = arenaI, U = arenaU;
 *   <helpers: functions and constants computed once, e.g. scratch arrays, dropout masks>
 *   function kernel0() { const F = arenaF; <loops with every extent, stride and offset inlined> }
 *   ...
 *   function run() { kernel0(); ...; <state updates> }
 *   return { run };
 * }
 * ```
 *
 * `arena` is an ArrayBuffer of at least `metadata.arenaBytes` bytes, or, for the WebAssembly
 * path, the buffer of a Wasm memory of `metadata.wasmMemoryBytes` bytes (the arena at byte 0,
 * then the Wasm kernels' scratch) with `nncWasm` the GEMM module's exports (`{ gemm }`); without
 * `nncWasm` the module uses its JavaScript GEMM.
 *
 * Each kernel is its own small function rather than inline in `run()`: engines stop optimising
 * very large functions, and a training step has hundreds of kernels. Each function reads the
 * views through local aliases (`const F = arenaF`): V8 reloads a captured variable inside loops,
 * which costs about a quarter of a simple kernel's time. Everything that allocates is above the
 * kernels; `run()` and the kernels only read and write the arena.
 */
export function emitModule(program: Program, table: KernelTable): EmittedModule {
  if (program.apiVersion !== BACKEND_API_VERSION) {
    throw new NncError(
      "NNC4006",
      `the cpu backend implements backend API version ${BACKEND_API_VERSION}, the program is version ${program.apiVersion}`,
    );
  }
  const ctx = new ModuleEmitContext(program);
  const { graph } = program;
  const emitNode: NodeEmitter = (c, node) => {
    const emitter = table[node.op as PrimitiveOp];
    if (!emitter) {
      throw new NncError("NNC4006", "the cpu backend has no kernel for this op", {
        op: node.op,
        node: node.name,
      });
    }
    return emitter(c, node);
  };
  const functions: string[] = [];
  const calls: string[] = [];
  for (const kernel of program.kernels) {
    const nodes = kernel.nodes.map((id) => graph.node(id));
    const code =
      kernel.kind === "single" || nodes.length === 1
        ? nodes
            .map((n) => emitNode(ctx, n))
            .filter((s) => s)
            .join("\n")
        : emitFusedKernel(ctx, nodes, emitNode);
    if (!code) continue;
    const name = ctx.local("kernel");
    const label = kernel.kind === "single" ? "" : ` (${kernel.kind})`;
    functions.push(
      ...nodes.map((n, i) => `// ${describe(n)}${i === nodes.length - 1 ? label : ""}`),
      `function ${name}() {`,
      ...indent([...aliases(code), code]),
      "}",
    );
    calls.push(`${name}();`);
  }
  const updates = emitStateUpdates(ctx);
  const source = [
    "export default function createProgram(arena, nncWasm) {",
    ...indent([
      "const arenaF = new Float32Array(arena), arenaI = new Int32Array(arena), arenaU = new Uint8Array(arena);",
      // Helpers may use the views by their contract names too.
      "const F = arenaF, I = arenaI, U = arenaU;",
      ...ctx.helpers(),
      ...functions,
      "function run() {",
      ...indent([...calls, ...aliases(updates.join("\n")), ...updates]),
      "}",
      "return { run };",
    ]),
    "}",
    "",
  ].join("\n");
  return {
    backend: "cpu",
    apiVersion: BACKEND_API_VERSION,
    source,
    metadata: {
      arenaBytes: program.arenaBytes,
      wasmMemoryBytes: wasmScratchLayout(program).end,
      kernels: calls.length,
    },
  };
}

/** Local aliases of the arena views that `code` uses (`const F = arenaF;`). */
function aliases(code: string): string[] {
  const used = (["F", "I", "U"] as const).filter((v) => new RegExp(`\\b${v}[[.]`).test(code));
  return used.length ? [`const ${used.map((v) => `${v} = arena${v}`).join(", ")};`] : [];
}

/** `%3 = relu "fc1/relu"`, safe inside a line comment. */
function describe(node: Node): string {
  // JSON.stringify leaves U+2028/U+2029 alone, and they would end a line comment.
  const name = JSON.stringify(node.name).replace(/[\u2028\u2029]/g, (c) =>
    c === "\u2028" ? "\\u2028" : "\\u2029",
  );
  return `%${node.id} = ${node.op} ${name}`;
}

/**
 * Copies each state update's new value into its parameter's buffer after the kernels. The
 * updates happen at once: a new value whose buffer another update overwrites (a parameter
 * feeding another parameter's update) is first staged in a module-level scratch array.
 */
function emitStateUpdates(ctx: EmitContext): string[] {
  const { program } = ctx;
  const { graph } = program;
  const copies = graph.updates.map((update) => {
    const param = graph.findNode(update.param);
    if (param?.op !== "param") {
      throw new Error(`nnc bug: state update of "${update.param}", which is not a parameter`);
    }
    const from = program.buffers[update.node]!;
    const to = program.buffers[param.id]!;
    return { update, param, from, to, n: sizeOf(param.type.shape) };
  });
  const overlaps = (a: { offset: number; bytes: number }, b: { offset: number; bytes: number }) =>
    a.bytes > 0 && b.bytes > 0 && a.offset < b.offset + b.bytes && b.offset < a.offset + a.bytes;
  const staged = copies.filter((c) =>
    copies.some(
      (other) => other !== c && other.from.offset !== other.to.offset && overlaps(c.from, other.to),
    ),
  );
  const lines: string[] = [];
  const stage = new Map<number, string>();
  for (const c of staged) {
    const array = { float32: "Float32Array", int32: "Int32Array", bool: "Uint8Array" }[
      c.param.type.dtype
    ];
    const name = ctx.helper(
      `nncStage${c.param.id}`,
      `const nncStage${c.param.id} = new ${array}(${c.n});`,
    );
    stage.set(c.param.id, name);
    const i = ctx.local("i");
    const src = element(ctx.ref(c.update.node), i);
    lines.push(`for (let ${i} = 0; ${i} < ${c.n}; ${i}++) ${name}[${i}] = ${src};`);
  }
  for (const c of copies) {
    if (c.n === 0) continue;
    const dst = ctx.ref(c.param.id);
    const src = ctx.ref(c.update.node);
    lines.push(`// state: ${JSON.stringify(c.update.param)} ← %${c.update.node}`);
    const staging = stage.get(c.param.id);
    if (staging) {
      const i = ctx.local("i");
      lines.push(
        `for (let ${i} = 0; ${i} < ${c.n}; ${i}++) ${element(dst, i)} = ${staging}[${i}];`,
      );
    } else if (src.base !== dst.base || src.view !== dst.view) {
      lines.push(`${dst.view}.copyWithin(${dst.base}, ${src.base}, ${src.base + c.n});`);
    }
  }
  return lines;
}
