// Placeholder until the family lands.
export const poolOps = {} as never;
