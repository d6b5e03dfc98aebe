import { dtypeByteSize, type Program } from "@nnc/core";
import type { EmitContext, ValueRef } from "./emit-context.js";

const VIEW_OF = { float32: "F", int32: "I", bool: "U" } as const;

/**
 * The {@link EmitContext} of one module being emitted: value references from the program's
 * buffer placement, fresh local names, and the module-level helpers declared so far (emitted
 * once each, in declaration order, so a helper may use an earlier one; besides functions, a
 * helper may be a constant computed once when the module loads, such as a scratch array or a
 * dropout mask — nothing inside `run()` allocates).
 */
export class ModuleEmitContext implements EmitContext {
  readonly program: Program;
  readonly #refs = new Map<number, ValueRef>();
  readonly #counters = new Map<string, number>();
  readonly #helpers = new Map<string, string>();

  constructor(program: Program) {
    this.program = program;
  }

  ref(node: number): ValueRef {
    let ref = this.#refs.get(node);
    if (!ref) {
      const buffer = this.program.buffers[node];
      const { dtype } = this.program.graph.node(node).type;
      if (!buffer || buffer.node !== node) {
        throw new Error(`nnc bug: cpu backend: no buffer is planned for node %${node}`);
      }
      const size = dtypeByteSize(dtype);
      if (buffer.offset % size !== 0) {
        throw new Error(
          `nnc bug: cpu backend: node %${node} (${dtype}) sits at byte ${buffer.offset}, not a multiple of ${size}`,
        );
      }
      ref = { view: VIEW_OF[dtype], base: buffer.offset / size };
      this.#refs.set(node, ref);
    }
    return ref;
  }

  local(prefix: string): string {
    const n = this.#counters.get(prefix) ?? 0;
    this.#counters.set(prefix, n + 1);
    // "x1" + 0 would read like "x10": separate a trailing digit.
    return /\d$/.test(prefix) ? `${prefix}_${n}` : `${prefix}${n}`;
  }

  helper(name: string, code: string): string {
    const existing = this.#helpers.get(name);
    if (existing !== undefined && existing !== code) {
      throw new Error(`nnc bug: cpu backend: helper ${name} declared twice with different code`);
    }
    this.#helpers.set(name, code);
    return name;
  }

  /** The helpers' code, in declaration order. */
  helpers(): string[] {
    return [...this.#helpers.values()];
  }
}
