// A writer's consistent style as a geometric transformation of square grey images:
// rotation, horizontal shear and scale about the centre, then an optional stroke
// thickening. Output pixel (x, y) samples the input bilinearly at the inverse map.

export interface WritingStyle {
  /** Counter-clockwise rotation in degrees. */
  rotateDeg: number;
  /** Horizontal shear: x' = x + shear·y (y measured downwards from the centre). */
  shear: number;
  /** Scale about the centre (1 = unchanged). */
  scale: number;
  /** Strokes thickened by a 3×3 grey dilation mixed in with this weight (0 = none). */
  thicken: number;
}

export const IDENTITY_STYLE: WritingStyle = { rotateDeg: 0, shear: 0, scale: 1, thicken: 0 };

/** Applies `style` to n images of side×side pixels (row-major, one channel). */
export function applyStyle(images: Float32Array, side: number, style: WritingStyle): Float32Array {
  const px = side * side;
  if (images.length % px !== 0) throw new RangeError(`${images.length} values are not whole ${side}×${side} images`);
  const { rotateDeg, shear, scale, thicken } = style;
  if (!(scale > 0)) throw new RangeError(`scale must be > 0, got ${scale}`);
  // Forward map A = S·Sh·R (column vectors about the centre); sample at A⁻¹·(x, y).
  const t = (rotateDeg * Math.PI) / 180;
  const c = Math.cos(t), s = Math.sin(t);
  // R (counter-clockwise on screen, y down): [c, s; −s, c]; Sh: [1, shear; 0, 1].
  const a11 = scale * (c - shear * s), a12 = scale * (s + shear * c);
  const a21 = scale * -s, a22 = scale * c;
  const det = a11 * a22 - a12 * a21;
  const i11 = a22 / det, i12 = -a12 / det, i21 = -a21 / det, i22 = a11 / det;
  const centre = (side - 1) / 2;
  const n = images.length / px;
  const out = new Float32Array(images.length);
  for (let k = 0; k < n; k++) {
    const src = images.subarray(k * px, (k + 1) * px);
    const dst = out.subarray(k * px, (k + 1) * px);
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        const dx = x - centre, dy = y - centre;
        const sx = i11 * dx + i12 * dy + centre, sy = i21 * dx + i22 * dy + centre;
        dst[y * side + x] = bilinear(src, side, sx, sy);
      }
    }
    if (thicken > 0) dilateMix(dst, side, thicken);
  }
  return out;
}

function bilinear(img: Float32Array, side: number, x: number, y: number): number {
  const x0 = Math.floor(x), y0 = Math.floor(y);
  const fx = x - x0, fy = y - y0;
  const at = (xx: number, yy: number) => (xx < 0 || yy < 0 || xx >= side || yy >= side ? 0 : img[yy * side + xx]);
  return (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
}

function dilateMix(img: Float32Array, side: number, weight: number): void {
  const copy = Float32Array.from(img);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      let m = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx, yy = y + dy;
          if (xx >= 0 && yy >= 0 && xx < side && yy < side && copy[yy * side + xx] > m) m = copy[yy * side + xx];
        }
      }
      const v = copy[y * side + x];
      img[y * side + x] = v + weight * (m - v);
    }
  }
}
