/**
 * The site's theme: VitePress's default theme with a wider text column (style.css). Pages that
 * need components (the playground) import them themselves, so this file stays out of their way.
 */
import type { Theme } from "vitepress";
import DefaultTheme from "vitepress/theme";
import "./style.css";

export default { extends: DefaultTheme } satisfies Theme;
