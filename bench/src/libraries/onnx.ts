/**
 * Writes the ONNX models of the inference workloads (W3, W4) directly as protobuf bytes, with
 * the seeded weights as initializers: no Python, no onnx package. Only the handful of message
 * fields these models need are encoded (field numbers from onnx.proto, IR version 8, opset 17).
 */
import type { HostTensors } from "../tensor.js";

const IR_VERSION = 8;
const OPSET = 17;
const FLOAT = 1;

/** A minimal protobuf writer: varints, length-delimited fields, fixed32 floats. */
class ProtoWriter {
  readonly #bytes: number[] = [];

  varint(field: number, value: number): this {
    this.#key(field, 0);
    this.#varint(value);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  bytes(field: number, value: Uint8Array): this {
    this.#key(field, 2);
    this.#varint(value.length);
    for (const byte of value) this.#bytes.push(byte);
    return this;
  }

  message(field: number, body: ProtoWriter): this {
    return this.bytes(field, body.finish());
  }

  float(field: number, value: number): this {
    this.#key(field, 5);
    const buffer = new DataView(new ArrayBuffer(4));
    buffer.setFloat32(0, value, true);
    for (let i = 0; i < 4; i++) this.#bytes.push(buffer.getUint8(i));
    return this;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }

  #key(field: number, wireType: number): void {
    this.#varint(field * 8 + wireType);
  }

  #varint(value: number): void {
    let v = value;
    while (v >= 0x80) {
      this.#bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.#bytes.push(v);
  }
}

type Attribute =
  | { readonly name: string; readonly ints: readonly number[] }
  | { readonly name: string; readonly int: number }
  | { readonly name: string; readonly float: number };

interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly output: string;
  readonly attributes?: readonly Attribute[];
}

// AttributeProto.AttributeType values.
const ATTRIBUTE_FLOAT = 1;
const ATTRIBUTE_INT = 2;
const ATTRIBUTE_INTS = 7;

function attributeProto(attribute: Attribute): ProtoWriter {
  const proto = new ProtoWriter().string(1, attribute.name);
  if ("ints" in attribute) {
    for (const v of attribute.ints) proto.varint(8, v);
    return proto.varint(20, ATTRIBUTE_INTS);
  }
  if ("int" in attribute) return proto.varint(3, attribute.int).varint(20, ATTRIBUTE_INT);
  return proto.float(2, attribute.float).varint(20, ATTRIBUTE_FLOAT);
}

function nodeProto(node: NodeSpec, index: number): ProtoWriter {
  const proto = new ProtoWriter();
  for (const input of node.inputs) proto.string(1, input);
  proto.string(2, node.output).string(3, `${node.op.toLowerCase()}_${index}`).string(4, node.op);
  for (const attribute of node.attributes ?? []) proto.message(5, attributeProto(attribute));
  return proto;
}

function valueInfoProto(name: string, shape: readonly number[]): ProtoWriter {
  const dims = new ProtoWriter();
  for (const d of shape) dims.message(1, new ProtoWriter().varint(1, d));
  const tensorType = new ProtoWriter().varint(1, FLOAT).message(2, dims);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

function tensorProto(name: string, shape: readonly number[], data: Float32Array): ProtoWriter {
  const proto = new ProtoWriter();
  for (const d of shape) proto.varint(1, d);
  const raw = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return proto.varint(2, FLOAT).string(8, name).bytes(9, raw);
}

interface GraphSpec {
  readonly name: string;
  readonly nodes: readonly NodeSpec[];
  readonly initializers: HostTensors;
  readonly inputs: ReadonlyArray<readonly [string, readonly number[]]>;
  readonly outputs: ReadonlyArray<readonly [string, readonly number[]]>;
}

function modelProto(spec: GraphSpec): Uint8Array {
  const graph = new ProtoWriter();
  for (const [i, node] of spec.nodes.entries()) graph.message(1, nodeProto(node, i));
  graph.string(2, spec.name);
  for (const [name, t] of Object.entries(spec.initializers)) {
    graph.message(5, tensorProto(name, t.shape, t.data as Float32Array));
  }
  for (const [name, shape] of spec.inputs) graph.message(11, valueInfoProto(name, shape));
  for (const [name, shape] of spec.outputs) graph.message(12, valueInfoProto(name, shape));
  return new ProtoWriter()
    .varint(1, IR_VERSION)
    .string(2, "nnc-bench")
    .message(7, graph)
    .message(8, new ProtoWriter().string(1, "").varint(2, OPSET))
    .finish();
}

/** W3's VGG-BN net: Conv → BatchNormalization → Relu blocks, MaxPool, Flatten, Gemm. */
export function vggBnModel(params: HostTensors, batch: number): Uint8Array {
  const nodes: NodeSpec[] = [];
  let h = "image";
  const add = (op: string, inputs: string[], attributes?: Attribute[]) => {
    const output = `t${nodes.length}`;
    nodes.push({ op, inputs, output, ...(attributes && { attributes }) });
    h = output;
  };
  const block = (k: number) => {
    add(
      "Conv",
      [h, `conv${k}.weight`, `conv${k}.bias`],
      [
        { name: "kernel_shape", ints: [3, 3] },
        { name: "pads", ints: [1, 1, 1, 1] },
      ],
    );
    const bn = `bn${k}`;
    add(
      "BatchNormalization",
      [h, `${bn}.weight`, `${bn}.bias`, `${bn}.running_mean`, `${bn}.running_var`],
      [{ name: "epsilon", float: 1e-5 }],
    );
    add("Relu", [h]);
  };
  const pool = () =>
    add(
      "MaxPool",
      [h],
      [
        { name: "kernel_shape", ints: [2, 2] },
        { name: "strides", ints: [2, 2] },
      ],
    );
  block(1);
  block(2);
  pool();
  block(3);
  block(4);
  pool();
  add("Flatten", [h], [{ name: "axis", int: 1 }]);
  nodes.push({ op: "Gemm", inputs: [h, "fc.weight", "fc.bias"], output: "logits" });
  return modelProto({
    name: "w3-bn-convnet",
    nodes,
    initializers: params,
    inputs: [["image", [batch, 3, 32, 32]]],
    outputs: [["logits", [batch, 10]]],
  });
}

/** W4: one MatMul of two graph inputs. */
export function matmulModel(n: number): Uint8Array {
  return modelProto({
    name: "matmul",
    nodes: [{ op: "MatMul", inputs: ["a", "b"], output: "product" }],
    initializers: {},
    inputs: [
      ["a", [n, n]],
      ["b", [n, n]],
    ],
    outputs: [["product", [n, n]]],
  });
}
