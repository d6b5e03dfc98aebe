import { type ErrorCode, NncError } from "./errors.js";
import type { RuleContext } from "./op-def.js";
import { formatType, type TensorType } from "./shape.js";
import type { SourceLocation } from "./source-location.js";

/** What a rule context needs to describe the node being checked. */
export interface RuleSite {
  readonly op: string;
  readonly inputs: readonly TensorType[];
  /** Operand role names from the op record (`["lhs", "rhs"]`). */
  readonly roles: readonly string[];
  /** A short description of the node producing operand `i` (`%3 = relu(%2)`, `param "w"`). */
  readonly describeOperand: (i: number) => string;
  readonly node?: string;
  readonly location?: SourceLocation;
}

/** The role of operand `i` for an op with these roles; variadic extras repeat the last one. */
export function operandRole(roles: readonly string[], i: number): string {
  if (i < roles.length) return roles[i]!;
  const last = roles[roles.length - 1] ?? "operand";
  return `${last}[${i - roles.length + 1}]`;
}

/** Makes the context shape/dtype/attribute rules use to report failures with full detail. */
export function makeRuleContext(site: RuleSite): RuleContext {
  return {
    op: site.op,
    inputs: site.inputs,
    fail(code: ErrorCode, message: string): never {
      throw new NncError(code, message, {
        op: site.op,
        ...(site.node !== undefined && { node: site.node }),
        ...(site.location !== undefined && { location: site.location }),
        operands: site.inputs.map(
          (t, i) =>
            [operandRole(site.roles, i), `${formatType(t)}  ${site.describeOperand(i)}`] as const,
        ),
      });
    },
  };
}
