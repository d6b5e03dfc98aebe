/**
 * A small max-flow / min-cut solver (Dinic's algorithm) over integer-indexed vertices. Capacities
 * may be Infinity. Used by residual selection, whose networks have a few thousand vertices.
 */
export class FlowNetwork {
  readonly #heads: number[][];
  readonly #to: number[] = [];
  readonly #capacity: number[] = [];

  constructor(vertices: number) {
    this.#heads = Array.from({ length: vertices }, () => []);
  }

  /** Adds a directed edge `from → to` with the given capacity. */
  addEdge(from: number, to: number, capacity: number): void {
    this.#heads[from]!.push(this.#to.length);
    this.#to.push(to);
    this.#capacity.push(capacity);
    this.#heads[to]!.push(this.#to.length);
    this.#to.push(from);
    this.#capacity.push(0);
  }

  /** Pushes the maximum flow from `source` to `sink`; returns its value (Infinity when unbounded). */
  maxFlow(source: number, sink: number): number {
    let total = 0;
    for (;;) {
      const level = this.#levels(source);
      if (level[sink]! < 0) return total;
      const next = this.#heads.map(() => 0);
      for (;;) {
        const pushed = this.#augment(source, sink, Number.POSITIVE_INFINITY, level, next);
        if (pushed === 0) break;
        if (pushed === Number.POSITIVE_INFINITY) return pushed;
        total += pushed;
      }
    }
  }

  /** After {@link maxFlow}: the vertices still reachable from `source` (its side of a minimum cut). */
  sourceSide(source: number): Set<number> {
    const level = this.#levels(source);
    const side = new Set<number>();
    level.forEach((l, v) => {
      if (l >= 0) side.add(v);
    });
    return side;
  }

  #levels(source: number): number[] {
    const level = this.#heads.map(() => -1);
    level[source] = 0;
    const queue = [source];
    for (let i = 0; i < queue.length; i++) {
      const v = queue[i]!;
      for (const e of this.#heads[v]!) {
        const w = this.#to[e]!;
        if (this.#capacity[e]! > 0 && level[w]! < 0) {
          level[w] = level[v]! + 1;
          queue.push(w);
        }
      }
    }
    return level;
  }

  #augment(v: number, sink: number, limit: number, level: number[], next: number[]): number {
    if (v === sink) return limit;
    const edges = this.#heads[v]!;
    for (; next[v]! < edges.length; next[v]!++) {
      const e = edges[next[v]!]!;
      const w = this.#to[e]!;
      if (this.#capacity[e]! <= 0 || level[w] !== level[v]! + 1) continue;
      const pushed = this.#augment(w, sink, Math.min(limit, this.#capacity[e]!), level, next);
      if (pushed > 0) {
        this.#capacity[e]! -= pushed;
        this.#capacity[e ^ 1]! += pushed;
        return pushed;
      }
    }
    return 0;
  }
}
