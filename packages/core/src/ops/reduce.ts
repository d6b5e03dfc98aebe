// Placeholder until the family lands.
export const reduceOps = {} as never;
