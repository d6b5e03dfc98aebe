/**
 * `nnc compile` model file for SEEDS.md S4: the small conv net whose summary reproduces
 * 31×31×5 / 85 · 10×10×5 / 0 · 8×8×5 / 230 · 4×4×5 / 0 · 5 / 405.
 */
export { default } from "../../seed-002-table/model.js";
