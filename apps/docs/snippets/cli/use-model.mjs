// Runs the standalone module that `nnc compile model.ts` wrote: plain JavaScript, with no
// dependency on nnc at run time.
import { inputs, load, outputs } from "./nnc-out/mlp/model.js";

const model = await load(); // reads model.safetensors next to model.js
const describe = (t) => `${t.name} ${t.dtype}[${t.shape.join(",")}]`;
console.log(`inputs:  ${inputs.map(describe).join(", ")}`);
console.log(`outputs: ${outputs.map(describe).join(", ")}`);
console.log(`matmul:  ${model.gemm}`);

const image = new Float32Array(16 * 784).fill(0.5); // 16 flat grey images
const label = new Int32Array(16);
const { logits, loss } = model.run({ image, label });
const first = Array.from(logits.subarray(0, 10), (v) => v.toFixed(2));
console.log(`logits of the first image: ${first.join(" ")}`);
console.log(`loss against label 0: ${loss[0].toFixed(4)}`);
