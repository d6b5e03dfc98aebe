// Placeholder until the family lands.
export const lossOps = {} as never;
