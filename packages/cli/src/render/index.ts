import { type Graph, serializeGraph } from "@nnc/core";
import { renderDot } from "./dot.js";
import { renderSvg } from "./svg.js";

/** The picture formats of `nnc compile --emit`. */
export type RenderFormat = "dot" | "svg" | "json";

/** Every {@link RenderFormat}, for argument validation and `--help`. */
export const RENDER_FORMATS: readonly RenderFormat[] = ["dot", "svg", "json"];

/**
 * The graph in one of the `--emit` formats: `dot` is Graphviz text, `svg` a standalone drawing
 * laid out without Graphviz, `json` core's {@link serializeGraph} (indented). Names from the
 * graph are escaped for the target format, so any name renders and none injects markup.
 */
export function renderGraph(graph: Graph, format: RenderFormat): string {
  switch (format) {
    case "dot":
      return renderDot(graph);
    case "svg":
      return renderSvg(graph);
    case "json":
      return `${serializeGraph(graph, 2)}\n`;
    default:
      // Only reachable from untyped callers; the CLI validates --emit against RENDER_FORMATS.
      throw new TypeError(`renderGraph: unknown format ${JSON.stringify(format satisfies never)}`);
  }
}
