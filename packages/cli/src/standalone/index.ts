export { emitDeclarations } from "./emit-declarations.js";
export { type BackendPackage, emitPluginModule } from "./emit-plugin-module.js";
export {
  emitStandaloneModule,
  type StandaloneLayout,
  type StandaloneTensor,
  standaloneLayout,
} from "./emit-standalone-module.js";
export {
  type StandaloneFiles,
  type StandaloneOptions,
  writeStandaloneFiles,
} from "./write-standalone-files.js";
