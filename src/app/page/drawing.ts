// A drawing pad: strokes with a mouse, a pen or a finger (pointer events), white on black
// like the digits the model learnt from; and the drawing as the model's input, prepared
// the way MNIST's digits were: the strokes' bounding box scaled into 20×20 pixels, then
// moved so that their centre of mass sits at the centre of a 28×28 image.
import { greyOfByte } from '../../data/digits_file';

const SIDE = 28;
const BOX = 20;

export class DrawingPad {
  private readonly ctx: CanvasRenderingContext2D;
  private drawing = false;
  private empty = true;

  constructor(private readonly canvas: HTMLCanvasElement, private readonly onStrokeEnd: () => void = () => {}) {
    this.ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    this.clear();
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', (e) => this.up(e));
  }

  get isEmpty(): boolean { return this.empty; }

  clear(): void {
    const { ctx, canvas } = this;
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    this.empty = true;
  }

  private point(e: PointerEvent): [number, number] {
    const r = this.canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * this.canvas.width, ((e.clientY - r.top) / r.height) * this.canvas.height];
  }

  private down(e: PointerEvent): void {
    if (e.button !== 0) return;
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    this.drawing = true;
    const [x, y] = this.point(e);
    const { ctx } = this;
    ctx.strokeStyle = '#fff';
    ctx.fillStyle = '#fff';
    ctx.lineWidth = this.canvas.width / 12;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.arc(x, y, ctx.lineWidth / 2, 0, 2 * Math.PI);
    ctx.fill();
    ctx.beginPath();
    ctx.moveTo(x, y);
    this.empty = false;
  }

  private move(e: PointerEvent): void {
    if (!this.drawing) return;
    const [x, y] = this.point(e);
    this.ctx.lineTo(x, y);
    this.ctx.stroke();
    this.ctx.beginPath();
    this.ctx.moveTo(x, y);
  }

  private up(e: PointerEvent): void {
    if (!this.drawing) return;
    this.drawing = false;
    if (this.canvas.hasPointerCapture(e.pointerId)) this.canvas.releasePointerCapture(e.pointerId);
    this.onStrokeEnd();
  }

  /** The drawing as 28×28 greys in [0, 1] (the packaged digits' values), or null if nothing is drawn. */
  features(): Float32Array | null {
    if (this.empty) return null;
    const { width: W, height: H } = this.canvas;
    const pixels = this.ctx.getImageData(0, 0, W, H).data;
    let x0 = W, y0 = H, x1 = -1, y1 = -1;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        if (pixels[(y * W + x) * 4] > 0) { if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y; }
      }
    }
    if (x1 < 0) return null;
    const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
    const scale = BOX / Math.max(bw, bh);
    const dw = Math.max(1, Math.round(bw * scale)), dh = Math.max(1, Math.round(bh * scale));
    const small = document.createElement('canvas');
    small.width = SIDE; small.height = SIDE;
    const s = small.getContext('2d', { willReadFrequently: true })!;
    s.imageSmoothingEnabled = true;
    s.imageSmoothingQuality = 'high';
    const place = (dx: number, dy: number) => {
      s.fillStyle = '#000';
      s.fillRect(0, 0, SIDE, SIDE);
      s.drawImage(this.canvas, x0, y0, bw, bh, dx, dy, dw, dh);
      return s.getImageData(0, 0, SIDE, SIDE).data;
    };
    let dx = Math.floor((SIDE - dw) / 2), dy = Math.floor((SIDE - dh) / 2);
    const first = place(dx, dy);
    let mass = 0, mx = 0, my = 0;
    for (let i = 0; i < SIDE * SIDE; i++) { const v = first[i * 4]; mass += v; mx += v * (i % SIDE); my += v * Math.floor(i / SIDE); }
    if (mass > 0) {
      const centre = (SIDE - 1) / 2;
      dx = Math.min(SIDE - dw, Math.max(0, dx + Math.round(centre - mx / mass)));
      dy = Math.min(SIDE - dh, Math.max(0, dy + Math.round(centre - my / mass)));
    }
    const final = place(dx, dy);
    return Float32Array.from({ length: SIDE * SIDE }, (_, i) => greyOfByte(final[i * 4]));
  }
}

/** Paints 28×28 greys in [0, 1] onto a small canvas (a thumbnail). */
export function paintDigit(canvas: HTMLCanvasElement, features: Float32Array, side = SIDE): void {
  canvas.width = side; canvas.height = side;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(side, side);
  for (let i = 0; i < side * side; i++) {
    const v = Math.max(0, Math.min(255, Math.round(features[i] * 255)));
    img.data[i * 4] = v; img.data[i * 4 + 1] = v; img.data[i * 4 + 2] = v; img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
}
