// Placeholder until the family lands.
export const lossSamples = {} as never;
