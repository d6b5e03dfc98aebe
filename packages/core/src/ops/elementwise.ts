// Placeholder until the family lands.
export const elementwiseOps = {} as never;
