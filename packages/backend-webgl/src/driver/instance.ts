import {
  type BackendInstance,
  createRng,
  formatShape,
  NncError,
  type Program,
  saltSeed,
} from "@nnc/core";
import { laneSampler } from "../glsl/merge-shader.js";
import { SHADER_HEADER } from "../glsl/shader-builder.js";
import {
  type DropoutMaskTask,
  type PlanBuffer,
  paddedSize,
  TEXEL_VALUES,
  type TextureLayout,
  type WebglPlan,
} from "../plan.js";
import { createContext, type DriverContext, type WebglCanvas } from "./context.js";
import { compilePrograms } from "./programs.js";

/** How the driver loads a plan. */
export interface DriverOptions {
  readonly canvas?: WebglCanvas;
  readonly allowHalfFloat?: boolean;
}

/** A loaded WebGL program: the {@link BackendInstance} plus what tests and tools inspect. */
export interface WebglInstance extends BackendInstance {
  /** The WebGL2 context the program runs on. */
  readonly gl: WebGL2RenderingContext;
  /** Texture slot per node id (nodes computed inside a kernel have none). */
  readonly textureOf: ReadonlyMap<number, number>;
  /**
   * Runs the program once like `run`, waiting for the GPU after every draw, and returns each
   * kernel's wall time (ms). For finding the slow kernels; the waits make the total slower.
   */
  profile(): { readonly kernel: string; readonly ms: number }[];
}

/**
 * One draw call: a program, where it renders (a texture slot's framebuffer, or a framebuffer of
 * its own), and the texture slots it samples. Slots are looked up at draw time because state
 * updates swap the textures of two slots.
 */
interface Draw {
  readonly prog: WebGLProgram;
  readonly target: number | WebGLFramebuffer;
  readonly layout: TextureLayout;
  readonly samplers: readonly {
    readonly location: WebGLUniformLocation | null;
    readonly slot: number;
  }[];
}

/** The copy shaders of state updates: the value's texels into the parameter's texture. */
const copyShader = (sampler: "sampler2D" | "isampler2D", type: "vec4" | "ivec4") =>
  `${SHADER_HEADER}
uniform ${sampler} u_src;
out ${type} o;
void main() { o = texelFetch(u_src, ivec2(gl_FragCoord.xy), 0); }
`;

/** core's dropout mask: element i kept when the i-th draw of the (salted) stream is ≥ rate. */
function dropoutMask(task: DropoutMaskTask, salt?: number): Int32Array {
  const rng = createRng(salt === undefined ? task.seed : saltSeed(task.seed, salt));
  const mask = new Int32Array(paddedSize(task.layout));
  for (let i = 0; i < task.count; i++) mask[i] = rng.next() >= task.rate ? 1 : 0;
  return mask;
}

/**
 * Loads a plan: creates the context, checks texture sizes, allocates every texture and its
 * framebuffer once, compiles and links every program, uploads constants and unsalted dropout
 * masks, and draws every program once so the first run costs what later runs do.
 */
export async function instantiatePlan(
  plan: WebglPlan,
  program: Program,
  options: DriverOptions = {},
): Promise<WebglInstance> {
  const ctx = createContext(options.canvas, options.allowHalfFloat ?? false);
  const { gl } = ctx;
  for (const b of plan.buffers)
    checkSize(ctx, b.layout, `${program.graph.node(b.node).op} "${b.name}"`);
  const textures = plan.textures.map((layout) => createTexture(ctx, layout));
  const framebuffers = textures.map((texture) => {
    const fb = gl.createFramebuffer()!;
    gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0);
    return fb;
  });
  const merges = plan.kernels.flatMap((k) =>
    k.split ? [{ name: `${k.name} (merge)`, fragment: k.split.merge }] : [],
  );
  const programs = await compilePrograms(ctx, [
    ...plan.kernels.map((k) => ({ name: k.name, fragment: k.fragment })),
    ...merges,
    { name: "update copy (float)", fragment: copyShader("sampler2D", "vec4") },
    { name: "update copy (int)", fragment: copyShader("isampler2D", "ivec4") },
  ]);
  const mergePrograms = programs.slice(plan.kernels.length, plan.kernels.length + merges.length);
  const copyFloat = programs[plan.kernels.length + merges.length]!;
  const copyInt = programs[plan.kernels.length + merges.length + 1]!;
  const bufferOf = new Map<number, PlanBuffer>(plan.buffers.map((b) => [b.node, b]));
  const textureOf = new Map<number, number>(plan.buffers.map((b) => [b.node, b.texture]));
  const buffer = (id: number): PlanBuffer => {
    const b = bufferOf.get(id);
    if (!b) throw new Error(`nnc bug: webgl backend: node %${id} has no texture`);
    return b;
  };

  let mergeIndex = 0;
  const draws = plan.kernels.map((kernel, k) => {
    const prog = programs[k]!;
    let split: { framebuffer: WebGLFramebuffer; layout: TextureLayout; merge: Draw } | undefined;
    if (kernel.split) {
      // One framebuffer with a color attachment per target, for the kernel's draw.
      const framebuffer = gl.createFramebuffer()!;
      gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
      kernel.split.targets.forEach((slot, j) => {
        gl.framebufferTexture2D(
          gl.FRAMEBUFFER,
          gl.COLOR_ATTACHMENT0 + j,
          gl.TEXTURE_2D,
          textures[slot]!,
          0,
        );
      });
      gl.drawBuffers(kernel.split.targets.map((_, j) => gl.COLOR_ATTACHMENT0 + j));
      const mergeProg = mergePrograms[mergeIndex++]!;
      split = {
        framebuffer,
        layout: plan.textures[kernel.split.targets[0]!]!,
        merge: {
          prog: mergeProg,
          target: buffer(kernel.output).texture,
          layout: buffer(kernel.output).layout,
          samplers: kernel.split.targets.map((slot, j) => ({
            location: gl.getUniformLocation(mergeProg, laneSampler(j)),
            slot,
          })),
        },
      };
    }
    const out = buffer(kernel.output);
    const samplers = kernel.inputs.map((id) => ({
      location: gl.getUniformLocation(prog, `u_t${id}`),
      slot: buffer(id).texture,
    }));
    if (kernel.host) {
      samplers.push({
        location: gl.getUniformLocation(prog, "u_mask"),
        slot: kernel.host.maskTexture,
      });
    }
    // The kernel's own draw: into its targets' framebuffer when split, else into its result.
    const main: Draw = split
      ? { prog, target: split.framebuffer, layout: split.layout, samplers }
      : { prog, target: out.texture, layout: out.layout, samplers };
    return {
      main,
      merge: split?.merge,
      host: kernel.host,
      empty: out.size === 0,
      hoisted: kernel.hoisted === true,
    };
  });
  const copyLocation = {
    float: gl.getUniformLocation(copyFloat, "u_src"),
    int: gl.getUniformLocation(copyInt, "u_src"),
  };

  const uploadTexture = (slot: number, layout: TextureLayout, data: Float32Array | Int32Array) => {
    gl.bindTexture(gl.TEXTURE_2D, textures[slot]!);
    if (data instanceof Float32Array) {
      gl.texSubImage2D(
        gl.TEXTURE_2D,
        0,
        0,
        0,
        layout.width,
        layout.height,
        gl.RGBA,
        gl.FLOAT,
        data,
      );
    } else {
      gl.texSubImage2D(
        gl.TEXTURE_2D,
        0,
        0,
        0,
        layout.width,
        layout.height,
        gl.RGBA_INTEGER,
        gl.INT,
        data,
      );
    }
  };
  // Hoisted kernels (reading only parameters and constants) are drawn on the first run after a
  // parameter was written.
  let paramsWritten = true;
  const paramNodes = new Set(program.graph.params.map((p) => p.id));
  const write = (id: number, data: ArrayLike<number>): void => {
    ctx.check();
    const b = buffer(id);
    if (paramNodes.has(id)) paramsWritten = true;
    if (data.length !== b.size) {
      throw new NncError(
        "NNC4002",
        `${program.graph.node(id).op} "${b.name}" has shape ${formatShape(b.shape)} (${b.size} values) but ${data.length} were given`,
        { node: b.name },
      );
    }
    const padded = paddedSize(b.layout);
    let array: Float32Array | Int32Array;
    if (b.dtype === "float32" && data instanceof Float32Array && data.length === padded) {
      // The value fills its texture exactly: upload the caller's array without a copy.
      array = data;
    } else if (b.dtype === "float32") {
      array = new Float32Array(padded);
      array.set(data);
    } else {
      array = new Int32Array(padded);
      if (b.dtype === "bool") for (let i = 0; i < b.size; i++) array[i] = data[i] ? 1 : 0;
      // Int32Array conversion truncates toward zero (NaN → 0), as the reference reads int32 feeds.
      else array.set(data);
    }
    uploadTexture(b.texture, b.layout, array);
  };
  const readNode = (id: number): Float32Array | Int32Array | Uint8Array => {
    ctx.check();
    const b = buffer(id);
    const { width } = b.layout;
    // Only the rows holding the value's texels: a flat array padded to whole rows.
    const rows = Math.max(1, Math.ceil(Math.ceil(b.size / TEXEL_VALUES) / width));
    const count = TEXEL_VALUES * width * rows;
    gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffers[b.texture]!);
    let values: Float32Array | Int32Array;
    // RGBA with FLOAT / INT is the read format every float / int32 color buffer accepts.
    if (b.layout.format === "RGBA32F") {
      values = new Float32Array(count);
      gl.readPixels(0, 0, width, rows, gl.RGBA, gl.FLOAT, values);
    } else {
      values = new Int32Array(count);
      gl.readPixels(0, 0, width, rows, gl.RGBA_INTEGER, gl.INT, values);
    }
    // A lost context reads zeros without an error: check again.
    ctx.check();
    if (b.dtype === "bool") return Uint8Array.from(values.subarray(0, b.size));
    return values.length === b.size ? values : values.slice(0, b.size);
  };
  const runHost = (task: DropoutMaskTask) => {
    if (task.saltNode === undefined) return;
    // The salt decides the mask: one scalar read back per run (a GPU → CPU sync).
    const salt = readNode(task.saltNode)[0]!;
    uploadTexture(task.maskTexture, task.layout, dropoutMask(task, salt));
  };
  const drawOne = (d: Draw) => {
    const framebuffer = typeof d.target === "number" ? framebuffers[d.target]! : d.target;
    gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
    gl.viewport(0, 0, d.layout.width, d.layout.height);
    gl.useProgram(d.prog);
    d.samplers.forEach((s, unit) => {
      gl.activeTexture(gl.TEXTURE0 + unit);
      gl.bindTexture(gl.TEXTURE_2D, textures[s.slot]!);
      gl.uniform1i(s.location, unit);
    });
    gl.drawArrays(gl.TRIANGLES, 0, 3);
  };
  const draw = (d: (typeof draws)[number]) => {
    if (d.empty) return;
    drawOne(d.main);
    if (d.merge) drawOne(d.merge);
  };
  // A state update swaps the textures of the parameter's and the value's slots instead of
  // copying (one draw less per parameter; the value's slot holds nothing else that outlives the
  // run), unless the value is also an output, which must stay readable after the run, or not
  // computed by a kernel (an input's or a parameter's texture is not the run's to give away).
  const outputs = new Set(program.graph.outputs.map((o) => o.node));
  const computed = new Set(plan.kernels.map((k) => k.output));
  const swappable = (u: { value: number }) => computed.has(u.value) && !outputs.has(u.value);
  const swaps = plan.updates
    .filter((u) => swappable(u) && buffer(u.param).size > 0)
    .map((u) => [buffer(u.param).texture, buffer(u.value).texture] as const);
  const copies = plan.updates
    .filter((u) => !swappable(u))
    .map((u) => {
      const param = buffer(u.param);
      const value = buffer(u.value);
      const int = value.layout.format === "RGBA32I";
      return {
        param,
        value,
        prog: int ? copyInt : copyFloat,
        location: int ? copyLocation.int : copyLocation.float,
      };
    });
  const run = (): void => {
    ctx.check();
    for (const d of draws) {
      if (d.hoisted && !paramsWritten) continue;
      if (d.host) runHost(d.host);
      draw(d);
    }
    paramsWritten = false;
    for (const c of copies) {
      if (c.param.size === 0) continue;
      gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffers[c.param.texture]!);
      gl.viewport(0, 0, c.param.layout.width, c.param.layout.height);
      gl.useProgram(c.prog);
      gl.activeTexture(gl.TEXTURE0);
      gl.bindTexture(gl.TEXTURE_2D, textures[c.value.texture]!);
      gl.uniform1i(c.location, 0);
      gl.drawArrays(gl.TRIANGLES, 0, 3);
    }
    for (const [param, value] of swaps) {
      [textures[param], textures[value]] = [textures[value]!, textures[param]!];
      [framebuffers[param], framebuffers[value]] = [framebuffers[value]!, framebuffers[param]!];
    }
  };

  // Warm-up: one draw of every program (drivers finish compiling lazily, at first use). Kernel
  // outputs are activations, so the garbage they compute is overwritten by the first run.
  for (const d of draws) draw(d);
  for (const prog of [copyFloat, copyInt]) {
    // Drawn from and into scratch 1×1 textures of the program's format: parameters must keep
    // their values, and a sampler reading a texture of the other kind is a GL error.
    const format = prog === copyInt ? "RGBA32I" : "RGBA32F";
    const source = createTexture(ctx, { width: 1, height: 1, format });
    const scratch = createTexture(ctx, { width: 1, height: 1, format });
    const fb = gl.createFramebuffer()!;
    gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, scratch, 0);
    gl.viewport(0, 0, 1, 1);
    gl.useProgram(prog);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D, source);
    gl.uniform1i(prog === copyInt ? copyLocation.int : copyLocation.float, 0);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
    gl.deleteFramebuffer(fb);
    gl.deleteTexture(scratch);
    gl.deleteTexture(source);
  }
  for (const b of plan.buffers) if (b.constant) write(b.node, b.constant);
  for (const k of plan.kernels) {
    if (k.host) uploadTexture(k.host.maskTexture, k.host.layout, dropoutMask(k.host));
  }
  const probe = new Uint8Array(4);
  gl.bindFramebuffer(gl.FRAMEBUFFER, null);
  gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, probe);
  ctx.check();
  const profile = () => {
    ctx.check();
    const pixel = new Uint8Array(4);
    const wait = () => {
      // readPixels blocks until the draws before it finished (gl.finish() does not, in Chromium).
      gl.bindFramebuffer(gl.FRAMEBUFFER, null);
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
    };
    wait();
    return draws.map((d, k) => {
      const started = performance.now();
      if (d.host) runHost(d.host);
      draw(d);
      wait();
      return { kernel: plan.kernels[k]!.name, ms: performance.now() - started };
    });
  };
  return { gl, textureOf, write, read: readNode, run, profile };
}

function checkSize(ctx: DriverContext, layout: TextureLayout, what: string): void {
  if (layout.width > ctx.maxTextureSize || layout.height > ctx.maxTextureSize) {
    throw new NncError(
      "NNC4006",
      `${what} needs a ${layout.width}×${layout.height} texture, beyond this device's MAX_TEXTURE_SIZE ${ctx.maxTextureSize}`,
    );
  }
}

function createTexture(ctx: DriverContext, layout: TextureLayout): WebGLTexture {
  const { gl } = ctx;
  const texture = gl.createTexture()!;
  gl.bindTexture(gl.TEXTURE_2D, texture);
  const format =
    layout.format === "RGBA32I"
      ? gl.RGBA32I
      : ctx.floatFormat === "RGBA16F"
        ? gl.RGBA16F
        : gl.RGBA32F;
  gl.texStorage2D(gl.TEXTURE_2D, 1, format, layout.width, layout.height);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
  return texture;
}
