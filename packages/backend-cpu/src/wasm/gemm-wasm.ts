import { assembleModule, type WasmFunction } from "./assemble.js";

// The WebAssembly SIMD GEMM: the same Goto blocking as the JavaScript helper (kernels/matmul.ts)
// with float32 panels and a 4 × 8 register tile. For each NC-wide column block of B and each
// KC-deep slice of k, B is packed into strips of 8 columns (kc × 8 floats, zero-padded at the
// right edge); for each MC-tall row block of A, A is packed into panels of 4 rows (kc × 4
// floats, zero-padded at the bottom). The micro-kernel keeps the 4 × 8 tile in eight f32x4
// accumulators: per step of k it loads the strip's 8 values as two vectors and splats each of
// the panel's 4 values, 16 f32x4 multiply-adds (64 flops) for 6 loads. Sums are float32 within
// a KC slice. Full tiles are stored (or added) with v128 stores; edge tiles go through a
// 32-float scratch tile and store only their valid part.
//
// Signature (all i32; pointers in bytes into the imported memory, strides in elements):
//   gemm(A, aRowStride, aColStride, B, bRowStride, bColStride, C, m, k, n, add, PA, PB, E)
// computes C[m, n] (row-major, contiguous) = or (add ≠ 0) += A[m, k] · B[k, n]; PA, PB and E are
// the packing scratch (sizes from {@link wasmPackBytes}) and the 128-byte edge tile. k ≥ 1.

/** Depth of a packed slice of k. */
export const WASM_KC = 256;
/** Rows of A packed at once (a multiple of 4). */
export const WASM_MC = 64;
/** Columns of B packed at once (a multiple of 8). */
export const WASM_NC = 256;

/** Alignment of each scratch region in the Wasm memory (a cache line). */
export const WASM_SIMD_SCRATCH_ALIGN = 64;

/** Bytes of [packed A, packed B] one call of shape m × k × n needs. */
export function wasmPackBytes(m: number, k: number, n: number): [number, number] {
  const kc = Math.min(WASM_KC, k);
  const round = (x: number, to: number) => Math.ceil(x / to) * to;
  return [4 * kc * round(Math.min(WASM_MC, m), 4), 4 * kc * round(Math.min(WASM_NC, n), 8)];
}

/** `min(a, b)` of two side-effect-free i32 expressions. */
const min = (a: string, b: string) => `${a} ${b} ${a} ${b} i32.lt_s select`;

/** `for (x = 0; x < bound; x++) { body }` with a `$name` loop (body runs only while x < bound). */
const forLoop = (x: string, bound: string, step: string, body: string) => `
  i32.const 0 local.set ${x}
  block ${x}_done loop ${x}_loop
    local.get ${x} ${bound} i32.ge_s br_if ${x}_done
    ${body}
    local.get ${x} ${step} i32.add local.set ${x}
    br ${x}_loop
  end end`;

const ACCUMULATORS = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `$c${i}`);

/** The micro-kernel's inner loop over the slice: 16 f32x4 multiply-adds per step of k. */
const MICRO_LOOP = `
  f32.const 0 f32x4.splat ${ACCUMULATORS.slice(0, 7)
    .map((c) => `local.tee ${c}`)
    .join(" ")} local.set $c7
  loop $kloop
    local.get $qb v128.load local.set $b0
    local.get $qb v128.load offset=16 local.set $b1
    ${[0, 1, 2, 3]
      .map(
        (r) => `
    local.get $qa v128.load32_splat offset=${4 * r} local.tee $a
    local.get $b0 f32x4.mul local.get $c${2 * r} f32x4.add local.set $c${2 * r}
    local.get $a local.get $b1 f32x4.mul local.get $c${2 * r + 1} f32x4.add local.set $c${2 * r + 1}`,
      )
      .join("")}
    local.get $qa i32.const 16 i32.add local.set $qa
    local.get $qb i32.const 32 i32.add local.tee $qb
    local.get $end i32.lt_s br_if $kloop
  end`;

/** Stores (or adds) a full 4 × 8 tile at $o, rows $n4 bytes apart. */
const FULL_TILE = `
  local.get $store
  if
    ${[0, 1, 2, 3]
      .map(
        (r) => `
    local.get $o local.get $c${2 * r} v128.store
    local.get $o local.get $c${2 * r + 1} v128.store offset=16
    local.get $o local.get $n4 i32.add local.set $o`,
      )
      .join("")}
  else
    ${[0, 1, 2, 3]
      .map(
        (r) => `
    local.get $o local.get $o v128.load local.get $c${2 * r} f32x4.add v128.store
    local.get $o local.get $o v128.load offset=16 local.get $c${2 * r + 1} f32x4.add v128.store offset=16
    local.get $o local.get $n4 i32.add local.set $o`,
      )
      .join("")}
  end`;

/** An edge tile: the accumulators to E, then the h × w valid part stored or added at $o. */
const EDGE_TILE = `
  ${ACCUMULATORS.map((c, i) => `local.get $E local.get ${c} v128.store offset=${16 * i}`).join("\n  ")}
  ${forLoop(
    "$r",
    "local.get $h",
    "i32.const 1",
    forLoop(
      "$q",
      "local.get $w",
      "i32.const 1",
      `
      local.get $o local.get $r local.get $n4 i32.mul i32.add local.get $q i32.const 2 i32.shl i32.add local.set $d
      local.get $E local.get $r i32.const 5 i32.shl i32.add local.get $q i32.const 2 i32.shl i32.add f32.load local.set $scalar
      local.get $store i32.eqz
      if
        local.get $d f32.load local.get $scalar f32.add local.set $scalar
      end
      local.get $d local.get $scalar f32.store`,
    ),
  )}`;

/** Packs the strips of B for the current (jc, pc) block. */
const PACK_B = forLoop(
  "$s",
  "local.get $strips",
  "i32.const 1",
  `
    ${min("i32.const 8", "local.get $nc local.get $s i32.const 3 i32.shl i32.sub")} local.set $w
    local.get $PB local.get $s local.get $kc i32.mul i32.const 5 i32.shl i32.add local.tee $d
    local.get $kc i32.const 5 i32.shl i32.add local.set $end
    local.get $B local.get $pc local.get $brs i32.mul i32.add
    local.get $jc local.get $s i32.const 3 i32.shl i32.add local.get $bcs i32.mul i32.add local.set $src
    local.get $w i32.const 8 i32.eq local.get $bcs i32.const 4 i32.eq i32.and
    if
      loop $pb_fast
        local.get $d local.get $src v128.load v128.store
        local.get $d local.get $src v128.load offset=16 v128.store offset=16
        local.get $src local.get $brs i32.add local.set $src
        local.get $d i32.const 32 i32.add local.tee $d
        local.get $end i32.lt_s br_if $pb_fast
      end
    else
      loop $pb_slow
        i32.const 0 local.set $q
        loop $pb_q
          local.get $d local.get $q i32.const 2 i32.shl i32.add
          local.get $q local.get $w i32.lt_s
          if
            local.get $src local.get $q local.get $bcs i32.mul i32.add f32.load local.set $scalar
          else
            f32.const 0 local.set $scalar
          end
          local.get $scalar f32.store
          local.get $q i32.const 1 i32.add local.tee $q
          i32.const 8 i32.lt_s br_if $pb_q
        end
        local.get $src local.get $brs i32.add local.set $src
        local.get $d i32.const 32 i32.add local.tee $d
        local.get $end i32.lt_s br_if $pb_slow
      end
    end`,
);

/** Packs the panels of A for the current (pc, ic) block. */
const PACK_A = forLoop(
  "$t",
  "local.get $panels",
  "i32.const 1",
  `
    ${min("i32.const 4", "local.get $mc local.get $t i32.const 2 i32.shl i32.sub")} local.set $h
    local.get $PA local.get $t local.get $kc i32.mul i32.const 4 i32.shl i32.add local.tee $d
    local.get $kc i32.const 4 i32.shl i32.add local.set $end
    local.get $A local.get $ic local.get $t i32.const 2 i32.shl i32.add local.get $ars i32.mul i32.add
    local.get $pc local.get $acs i32.mul i32.add local.set $src
    loop $pa
      i32.const 0 local.set $r
      loop $pa_r
        local.get $d local.get $r i32.const 2 i32.shl i32.add
        local.get $r local.get $h i32.lt_s
        if
          local.get $src local.get $r local.get $ars i32.mul i32.add f32.load local.set $scalar
        else
          f32.const 0 local.set $scalar
        end
        local.get $scalar f32.store
        local.get $r i32.const 1 i32.add local.tee $r
        i32.const 4 i32.lt_s br_if $pa_r
      end
      local.get $src local.get $acs i32.add local.set $src
      local.get $d i32.const 16 i32.add local.tee $d
      local.get $end i32.lt_s br_if $pa
    end`,
);

/** Every 4 × 8 tile of the current (jc, pc, ic) block. */
const TILES = forLoop(
  "$s",
  "local.get $strips",
  "i32.const 1",
  `
    ${min("i32.const 8", "local.get $nc local.get $s i32.const 3 i32.shl i32.sub")} local.set $w
    ${forLoop(
      "$t",
      "local.get $panels",
      "i32.const 1",
      `
      ${min("i32.const 4", "local.get $mc local.get $t i32.const 2 i32.shl i32.sub")} local.set $h
      local.get $PA local.get $t local.get $kc i32.mul i32.const 4 i32.shl i32.add local.set $qa
      local.get $PB local.get $s local.get $kc i32.mul i32.const 5 i32.shl i32.add local.tee $qb
      local.get $kc i32.const 5 i32.shl i32.add local.set $end
      ${MICRO_LOOP}
      local.get $C
      local.get $ic local.get $t i32.const 2 i32.shl i32.add local.get $n4 i32.mul i32.add
      local.get $jc local.get $s i32.const 3 i32.shl i32.add i32.const 2 i32.shl i32.add local.set $o
      local.get $h i32.const 4 i32.eq local.get $w i32.const 8 i32.eq i32.and
      if
        ${FULL_TILE}
      else
        ${EDGE_TILE}
      end`,
    )}`,
);

const GEMM_BODY = `
  ;; Strides in bytes from here on.
  local.get $ars i32.const 2 i32.shl local.set $ars
  local.get $acs i32.const 2 i32.shl local.set $acs
  local.get $brs i32.const 2 i32.shl local.set $brs
  local.get $bcs i32.const 2 i32.shl local.set $bcs
  local.get $n i32.const 2 i32.shl local.set $n4
  ${forLoop(
    "$jc",
    "local.get $n",
    `i32.const ${WASM_NC}`,
    `
    ${min(`i32.const ${WASM_NC}`, "local.get $n local.get $jc i32.sub")} local.set $nc
    local.get $nc i32.const 7 i32.add i32.const 3 i32.shr_s local.set $strips
    ${forLoop(
      "$pc",
      "local.get $k",
      `i32.const ${WASM_KC}`,
      `
      ${min(`i32.const ${WASM_KC}`, "local.get $k local.get $pc i32.sub")} local.set $kc
      ;; The first slice of k overwrites C unless the caller accumulates.
      local.get $pc i32.eqz local.get $add i32.eqz i32.and local.set $store
      ${PACK_B}
      ${forLoop(
        "$ic",
        "local.get $m",
        `i32.const ${WASM_MC}`,
        `
        ${min(`i32.const ${WASM_MC}`, "local.get $m local.get $ic i32.sub")} local.set $mc
        local.get $mc i32.const 3 i32.add i32.const 2 i32.shr_s local.set $panels
        ${PACK_A}
        ${TILES}`,
      )}`,
    )}`,
  )}`;

const i32 = (names: string) => names.split(" ").map((n) => [`$${n}`, "i32"] as const);

const GEMM: WasmFunction = {
  name: "gemm",
  params: i32("A ars acs B brs bcs C m k n add PA PB E"),
  locals: [
    ...i32("jc nc strips pc kc store s w d src end q ic mc panels t h r qa qb o n4"),
    ["$scalar", "f32"],
    ...ACCUMULATORS.map((c) => [c, "v128"] as const),
    ["$a", "v128"],
    ["$b0", "v128"],
    ["$b1", "v128"],
  ],
  body: GEMM_BODY,
};

let gemmBytes: Uint8Array<ArrayBuffer> | undefined;

/** The assembled GEMM module (imports `env.memory`, exports `gemm`), built once. */
export function wasmGemmModule(): Uint8Array<ArrayBuffer> {
  gemmBytes ??= assembleModule([GEMM]);
  return gemmBytes;
}

let simd: boolean | undefined;

/** Whether this engine has WebAssembly with SIMD (validates a tiny f32x4 module). */
export function wasmSimdSupported(): boolean {
  if (simd === undefined) {
    const probe: WasmFunction = {
      name: "probe",
      params: [],
      locals: [],
      result: "v128",
      body: "f32.const 0 f32x4.splat",
    };
    simd =
      typeof WebAssembly === "object" &&
      typeof WebAssembly.validate === "function" &&
      WebAssembly.validate(assembleModule([probe]));
  }
  return simd;
}
