// Placeholder until the family lands.
export const poolSamples = {} as never;
