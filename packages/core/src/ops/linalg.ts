// Placeholder until the family lands.
export const linalgOps = {} as never;
