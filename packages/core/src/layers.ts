// Filled in below by the core author; placeholder so the builder compiles.
export class Layers {
  constructor(readonly g: unknown) {}
}
