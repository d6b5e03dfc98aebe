// Placeholder until the family lands.
export const layoutOps = {} as never;
