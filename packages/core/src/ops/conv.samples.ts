// Placeholder until the family lands.
export const convSamples = {} as never;
