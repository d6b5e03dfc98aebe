/** The element types a graph value can have. The reference evaluator computes all of them in float64. */
export type DType = "float32" | "int32" | "bool";

/** Every dtype, in a stable order (for tests and validation). */
export const DTYPES: readonly DType[] = ["float32", "int32", "bool"];

/** Short spelling used by the printer and error messages (`f32[2,3]`). */
export function dtypeShortName(dtype: DType): string {
  return dtype === "float32" ? "f32" : dtype === "int32" ? "i32" : "bool";
}

/** Bytes one element occupies on a device (bool is stored as one byte). */
export function dtypeByteSize(dtype: DType): number {
  return dtype === "bool" ? 1 : 4;
}

/** True for the dtypes arithmetic ops accept. */
export function isNumeric(dtype: DType): boolean {
  return dtype !== "bool";
}

/** True when `value` is one of the dtype names. */
export function isDType(value: unknown): value is DType {
  return value === "float32" || value === "int32" || value === "bool";
}
