import { NncError } from "@nnc/core";
import type { DriverContext } from "./context.js";

/** The vertex shader of every draw: one full-screen triangle from gl_VertexID, no buffers. */
export const VERTEX_SHADER = `#version 300 es
void main() {
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
`;

/** A fragment shader to compile, named for error messages. */
export interface ShaderSource {
  readonly name: string;
  readonly fragment: string;
}

/** COMPLETION_STATUS_KHR of KHR_parallel_shader_compile. */
const COMPLETION_STATUS_KHR = 0x91b1;

const macrotask = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/**
 * The first error of a shader info log and the GLSL source line it points at
 * (`ERROR: 0:<line>: …`), for the NNC4007 message.
 */
export function describeShaderError(
  log: string,
  source: string,
): { error: string; line?: number; text?: string } {
  const first =
    log.split("\n").find((l) => /ERROR/.test(l)) ??
    log.split("\n").find((l) => l.trim()) ??
    "unknown error";
  const match = /ERROR:\s*\d+:(\d+):/.exec(first);
  if (!match) return { error: first.trim() };
  const line = Number(match[1]);
  const text = source.split("\n")[line - 1]?.trim();
  return { error: first.trim(), line, ...(text !== undefined && { text }) };
}

/**
 * Compiles and links every program: all shaders are created and compiled, then all programs
 * linked, before any status is queried, so a driver with KHR_parallel_shader_compile works on
 * them in parallel (polled with COMPLETION_STATUS_KHR, a macrotask between polls). A failure
 * becomes NncError NNC4007 naming the kernel, the first error and the failing GLSL line.
 */
export async function compilePrograms(
  ctx: DriverContext,
  shaders: readonly ShaderSource[],
): Promise<WebGLProgram[]> {
  const { gl } = ctx;
  const vertex = gl.createShader(gl.VERTEX_SHADER)!;
  gl.shaderSource(vertex, VERTEX_SHADER);
  gl.compileShader(vertex);
  const fragments = shaders.map((s) => {
    const shader = gl.createShader(gl.FRAGMENT_SHADER)!;
    gl.shaderSource(shader, s.fragment);
    gl.compileShader(shader);
    return shader;
  });
  const programs = fragments.map((fragment) => {
    const program = gl.createProgram()!;
    gl.attachShader(program, vertex);
    gl.attachShader(program, fragment);
    gl.linkProgram(program);
    return program;
  });
  if (ctx.parallelCompile) {
    while (!programs.every((p) => gl.getProgramParameter(p, COMPLETION_STATUS_KHR) as boolean)) {
      ctx.check();
      await macrotask();
    }
  }
  ctx.check();
  programs.forEach((program, k) => {
    if (gl.getProgramParameter(program, gl.LINK_STATUS) as boolean) return;
    const { name, fragment } = shaders[k]!;
    const shader = fragments[k]!;
    const compiled = gl.getShaderParameter(shader, gl.COMPILE_STATUS) as boolean;
    const log = compiled
      ? (gl.getProgramInfoLog(program) ?? "")
      : (gl.getShaderInfoLog(shader) ?? "");
    const { error, line, text } = describeShaderError(log, fragment);
    const where = line === undefined ? "" : `; GLSL line ${line}: ${text ?? ""}`;
    throw new NncError(
      "NNC4007",
      `the shader of kernel "${name}" failed to ${compiled ? "link" : "compile"}: ${error}${where}`,
      { node: name },
    );
  });
  for (const shader of fragments) gl.deleteShader(shader);
  gl.deleteShader(vertex);
  return programs;
}
