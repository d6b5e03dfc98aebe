// Placeholder until the family lands.
export const nnOps = {} as never;
