import { attrBool, attrNumber, checkKeys } from "./attr-check.js";
import { isDType } from "./dtype.js";
import { NncError } from "./errors.js";
import type { Node } from "./graph.js";
import { INIT_KINDS, type InitSpec } from "./init.js";
import type { RuleContext } from "./op-def.js";
import { isValidShape, sizeOf } from "./shape.js";

/** Attributes of a `param` node. */
export interface ParamAttrs {
  readonly init: InitSpec;
  /** False for state such as BatchNorm running statistics: never differentiated or optimised. */
  readonly trainable: boolean;
}

/** Attributes of a `constant` node: its values, row-major. */
export interface ConstantAttrs {
  readonly value: readonly number[];
}

/** Checks an initialiser spec (from a builder call or a JSON file) and returns it normalised. */
export function validateInitSpec(raw: unknown, ctx: RuleContext): InitSpec {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    ctx.fail("NNC1008", `initialiser must be an object with a "kind", got ${JSON.stringify(raw)}`);
  }
  const spec = raw as Record<string, unknown>;
  const kind = spec.kind;
  if (typeof kind !== "string" || !(INIT_KINDS as readonly string[]).includes(kind)) {
    ctx.fail(
      "NNC1008",
      `unknown initialiser ${JSON.stringify(kind)}; known: ${INIT_KINDS.join(", ")}`,
    );
  }
  switch (kind) {
    case "zeros":
    case "ones":
      checkKeys(spec, ["kind"], ctx);
      return { kind };
    case "constant":
      checkKeys(spec, ["kind", "value"], ctx);
      return { kind, value: attrNumber(spec, "value", ctx) };
    case "uniform": {
      checkKeys(spec, ["kind", "low", "high", "seed"], ctx);
      const low = attrNumber(spec, "low", ctx);
      return {
        kind,
        low,
        high: attrNumber(spec, "high", ctx, { min: low }),
        seed: attrNumber(spec, "seed", ctx),
      };
    }
    case "normal":
    case "truncated_normal":
      checkKeys(spec, ["kind", "mean", "std", "seed"], ctx);
      return {
        kind,
        mean: attrNumber(spec, "mean", ctx),
        std: attrNumber(spec, "std", ctx, { min: 0 }),
        seed: attrNumber(spec, "seed", ctx),
      };
    case "values": {
      checkKeys(spec, ["kind", "values"], ctx);
      const values = spec.values;
      if (
        !Array.isArray(values) ||
        !values.every((v) => typeof v === "number" && Number.isFinite(v))
      ) {
        ctx.fail("NNC1008", `initialiser "values" needs a list of finite numbers`);
      }
      return { kind, values: [...(values as number[])] };
    }
    default:
      checkKeys(spec, ["kind", "seed"], ctx);
      return {
        kind: kind as Exclude<InitSpec["kind"], "values">,
        seed: attrNumber(spec, "seed", ctx),
      } as InitSpec;
  }
}

/**
 * Checks a source node (input, param, constant) read from a file or built by a pass: its
 * attributes and its type. Throws NncError on the first problem.
 */
export function validateSourceNode(node: Node, ctx: RuleContext): void {
  if (!isDType(node.type.dtype) || !isValidShape(node.type.shape)) {
    throw new NncError("NNC3001", `node %${node.id} "${node.name}" has an invalid type`);
  }
  if (node.inputs.length !== 0) ctx.fail("NNC1003", `${node.op} takes no operands`);
  switch (node.op) {
    case "input":
      checkKeys(node.attrs, [], ctx);
      return;
    case "param": {
      checkKeys(node.attrs, ["init", "trainable"], ctx);
      const init = validateInitSpec(node.attrs.init, ctx);
      attrBool(node.attrs, "trainable", ctx);
      if (init.kind === "values" && init.values.length !== sizeOf(node.type.shape)) {
        ctx.fail(
          "NNC1008",
          `parameter "${node.name}" needs ${sizeOf(node.type.shape)} initial values, got ${init.values.length}`,
        );
      }
      return;
    }
    case "constant": {
      checkKeys(node.attrs, ["value"], ctx);
      const value = node.attrs.value;
      if (!Array.isArray(value) || !value.every((v) => typeof v === "number")) {
        ctx.fail("NNC1002", `constant "${node.name}" needs a list of numbers as its value`);
      }
      if (value.length !== sizeOf(node.type.shape)) {
        ctx.fail(
          "NNC2005",
          `constant "${node.name}" has ${value.length} values for shape [${node.type.shape.join(",")}]`,
        );
      }
      return;
    }
    default:
      throw new NncError("NNC3001", `node %${node.id} is not a source op`);
  }
}
