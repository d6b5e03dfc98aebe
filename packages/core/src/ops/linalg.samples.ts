// Placeholder until the family lands.
export const linalgSamples = {} as never;
