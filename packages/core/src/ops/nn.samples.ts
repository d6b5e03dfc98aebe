// Placeholder until the family lands.
export const nnSamples = {} as never;
