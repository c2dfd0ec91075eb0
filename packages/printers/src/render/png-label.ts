import type { Label } from "@factory/core";
import { type LayoutOptions, layoutLabel } from "./layout";
import { encodePng } from "./png";
import { rasterizeLayout } from "./raster";

/**
 * Renders a label to a 1-bit PNG at the printer's resolution: the dots a thermal printer of
 * `dpi` would print, for dry runs and previews (`maskSecrets` for previews shown on screens).
 */
export function renderPng(label: Label, options: LayoutOptions = {}): Buffer {
  const layout = layoutLabel(label, options);
  return encodePng(rasterizeLayout(layout), layout.dpi);
}
