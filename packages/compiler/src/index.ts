export {
  type DiffOptions,
  grad,
  gradName,
  jvp,
  type Linearization,
  type LinearTransposeOptions,
  linearize,
  linearTranspose,
  valueAndGrad,
  type VjpOptions,
  vjp,
} from "./autodiff/api.js";
export { pruneGraph } from "./prune-graph.js";
