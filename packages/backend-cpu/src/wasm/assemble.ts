// A tiny WebAssembly assembler: one-function-per-export modules whose bodies are written in the
// flat (non-folded) WebAssembly text format, importing one memory as `env.memory`. It knows only
// the instructions the backend's kernels use (i32 arithmetic and comparisons, f32 and v128
// loads and stores, a few f32x4 operations, structured control flow), so the emitted code needs
// no WebAssembly toolchain at build or run time.
//
// Syntax of a body: whitespace-separated instructions with their immediates, `;;` comments.
// `block`, `loop` and `if` take an optional `$label` (then branch targets may name it) and no
// result type; `br`/`br_if` take a `$label` or a depth; locals are named `$x`; memory
// instructions accept `offset=N` (and `align=N`, in bytes).

/** Value types the assembler knows. */
export type WasmType = "i32" | "f32" | "v128";

const TYPE_CODE: Record<WasmType, number> = { i32: 0x7f, f32: 0x7d, v128: 0x7b };

/** One exported function: named typed parameters and locals, a result type and the text body. */
export interface WasmFunction {
  readonly name: string;
  readonly params: readonly (readonly [string, WasmType])[];
  readonly locals: readonly (readonly [string, WasmType])[];
  readonly result?: WasmType;
  readonly body: string;
}

/** Plain opcodes without immediates (SIMD opcodes after the 0xfd prefix are LEB128). */
const SIMPLE: Record<string, number[]> = {
  else: [0x05],
  end: [0x0b],
  return: [0x0f],
  drop: [0x1a],
  select: [0x1b],
  "i32.eqz": [0x45],
  "i32.eq": [0x46],
  "i32.ne": [0x47],
  "i32.lt_s": [0x48],
  "i32.lt_u": [0x49],
  "i32.gt_s": [0x4a],
  "i32.le_s": [0x4c],
  "i32.ge_s": [0x4e],
  "i32.add": [0x6a],
  "i32.sub": [0x6b],
  "i32.mul": [0x6c],
  "i32.and": [0x71],
  "i32.or": [0x72],
  "i32.shl": [0x74],
  "i32.shr_s": [0x75],
  "f32.add": [0x92],
  "f32x4.splat": [0xfd, 0x13],
  "f32x4.add": [0xfd, 0xe4, 0x01],
  "f32x4.mul": [0xfd, 0xe6, 0x01],
};

/** Memory instructions: opcode bytes and natural alignment (log2 of bytes). */
const MEMORY: Record<string, [number[], number]> = {
  "f32.load": [[0x2a], 2],
  "f32.store": [[0x38], 2],
  "v128.load": [[0xfd, 0x00], 4],
  "v128.load32_splat": [[0xfd, 0x09], 2],
  "v128.store": [[0xfd, 0x0b], 4],
};

function unsigned(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function signed(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...unsigned(bytes.length), ...bytes];
}

function section(id: number, contents: number[]): number[] {
  return [id, ...unsigned(contents.length), ...contents];
}

function vector(items: number[][]): number[] {
  return [...unsigned(items.length), ...items.flat()];
}

/** Encodes a function body (without the locals header) from its text. */
function encodeBody(fn: WasmFunction): number[] {
  const indices = new Map<string, number>();
  for (const [local] of [...fn.params, ...fn.locals]) {
    if (indices.has(local)) throw new Error(`wasm: local ${local} declared twice`);
    indices.set(local, indices.size);
  }
  const tokens = fn.body
    .replace(/;;[^\n]*/g, "")
    .split(/\s+/)
    .filter((t) => t);
  const out: number[] = [];
  const labels: (string | undefined)[] = [];
  let i = 0;
  const next = (what: string): string => {
    const token = tokens[i++];
    if (token === undefined) throw new Error(`wasm: ${what} expected at the end of ${fn.name}`);
    return token;
  };
  while (i < tokens.length) {
    const op = tokens[i++]!;
    if (op === "block" || op === "loop" || op === "if") {
      out.push({ block: 0x02, loop: 0x03, if: 0x04 }[op], 0x40);
      const label = tokens[i]?.startsWith("$") ? tokens[i++] : undefined;
      labels.push(label);
    } else if (op === "end") {
      if (labels.length === 0) throw new Error(`wasm: unbalanced end in ${fn.name}`);
      labels.pop();
      out.push(0x0b);
    } else if (op === "br" || op === "br_if") {
      const target = next("label");
      let depth: number;
      if (target.startsWith("$")) {
        const index = labels.lastIndexOf(target);
        if (index < 0) throw new Error(`wasm: unknown label ${target} in ${fn.name}`);
        depth = labels.length - 1 - index;
      } else {
        depth = Number(target);
      }
      out.push(op === "br" ? 0x0c : 0x0d, ...unsigned(depth));
    } else if (op === "local.get" || op === "local.set" || op === "local.tee") {
      const local = next("local");
      const index = indices.get(local);
      if (index === undefined) throw new Error(`wasm: unknown local ${local} in ${fn.name}`);
      out.push({ "local.get": 0x20, "local.set": 0x21, "local.tee": 0x22 }[op], ...unsigned(index));
    } else if (op === "i32.const") {
      const value = Number(next("constant"));
      if (!Number.isInteger(value)) throw new Error(`wasm: bad i32.const in ${fn.name}`);
      out.push(0x41, ...signed(value));
    } else if (op === "f32.const") {
      const bytes = new Uint8Array(new Float32Array([Number(next("constant"))]).buffer);
      out.push(0x43, ...bytes);
    } else if (Object.hasOwn(MEMORY, op)) {
      const [code, natural] = MEMORY[op]!;
      let offset = 0;
      let align = natural;
      while (tokens[i]?.startsWith("offset=") || tokens[i]?.startsWith("align=")) {
        const [key, value] = tokens[i++]!.split("=") as [string, string];
        if (key === "offset") offset = Number(value);
        else align = Math.log2(Number(value));
      }
      out.push(...code, ...unsigned(align), ...unsigned(offset));
    } else if (Object.hasOwn(SIMPLE, op)) {
      out.push(...SIMPLE[op]!);
    } else {
      throw new Error(`wasm: unknown instruction ${op} in ${fn.name}`);
    }
  }
  if (labels.length !== 0) throw new Error(`wasm: unclosed block in ${fn.name}`);
  return [...out, 0x0b];
}

/** Assembles a module importing `env.memory` (at least `minPages`) and exporting `functions`. */
export function assembleModule(
  functions: readonly WasmFunction[],
  minPages = 1,
): Uint8Array<ArrayBuffer> {
  const types = functions.map((fn) => [
    0x60,
    ...vector(fn.params.map(([, t]) => [TYPE_CODE[t]])),
    ...vector(fn.result ? [[TYPE_CODE[fn.result]]] : []),
  ]);
  const memoryImport = [...name("env"), ...name("memory"), 0x02, 0x00, ...unsigned(minPages)];
  const bodies = functions.map((fn) => {
    // Locals grouped by runs of one type.
    const groups: number[][] = [];
    let run: [number, WasmType] | undefined;
    for (const [, type] of fn.locals) {
      if (run && run[1] === type) run[0]++;
      else {
        if (run) groups.push([...unsigned(run[0]), TYPE_CODE[run[1]]]);
        run = [1, type];
      }
    }
    if (run) groups.push([...unsigned(run[0]), TYPE_CODE[run[1]]]);
    const code = [...vector(groups), ...encodeBody(fn)];
    return [...unsigned(code.length), ...code];
  });
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector(types)),
    ...section(2, vector([memoryImport])),
    ...section(3, vector(functions.map((_, i) => unsigned(i)))),
    ...section(7, vector(functions.map((fn, i) => [...name(fn.name), 0x00, ...unsigned(i)]))),
    ...section(10, vector(bodies)),
  ];
  return new Uint8Array(bytes);
}
