// Placeholder until the family lands.
export const convOps = {} as never;
