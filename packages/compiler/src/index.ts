/**
 * @nnc/compiler: skeleton. Its capability lands with its own issue (see the README's roadmap);
 * until then it only states what it will provide.
 */
export const PACKAGE_NAME = "@nnc/compiler";
