/**
 * A minimal Cortex-M application image for tests and benches: a vector table whose initial stack
 * pointer is the top of 128 KB SRAM (0x20020000) and whose reset handler is a Thumb address inside
 * the image, followed by `size - 8` pattern bytes (varied by `seed`). The simulated part starts
 * such an image after Go; it refuses one without a plausible vector table.
 */
export function appImage(size: number, seed = 0, base = 0x0800_0000): Uint8Array {
  if (size < 16)
    throw new Error(`[driver-stm32/simulator] an application image needs at least 16 bytes, not ${size}`);
  const image = Uint8Array.from({ length: size }, (_, i) => (i * 7 + seed * 13 + (i >> 8)) & 0xff);
  const view = new DataView(image.buffer);
  view.setUint32(0, 0x2002_0000, true);
  view.setUint32(4, (base + 8) | 1, true);
  return image;
}
