// Placeholder until the family lands.
export const layoutSamples = {} as never;
