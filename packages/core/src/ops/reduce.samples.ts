// Placeholder until the family lands.
export const reduceSamples = {} as never;
