// Placeholder until the family lands.
export const elementwiseSamples = {} as never;
