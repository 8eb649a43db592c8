// What the conv backprop kernels share: attribute checks with messages that name the
// offending value, the geometry the AssemblyScript kernels take, and NCHW ↔ NHWC
// transposes through tfjs-wasm's own Transpose kernel (the kernels compute in NHWC).
import { tf } from '../tf';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

type Info = tf.TensorInfo;
type Pad = 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;

export function fail(kernel: string, message: string): never {
  throw new Error(`${kernel}: ${message}`);
}

const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v));

export function checkTensor(kernel: string, name: string, t: Info | undefined, rank: number | null, dtypes: string[]): asserts t is Info {
  if (t == null) fail(kernel, `input ${name} is missing`);
  if (rank != null && t.shape.length !== rank) {
    fail(kernel, `${name} must be rank ${rank}, got rank ${t.shape.length} (shape ${show(t.shape)})`);
  }
  if (!dtypes.includes(t.dtype)) fail(kernel, `${name} must have dtype ${dtypes.join(' or ')}, got '${t.dtype}'`);
}

export function checkShape(kernel: string, name: string, shape: unknown, rank: number): asserts shape is number[] {
  if (!Array.isArray(shape) || shape.length !== rank || !shape.every((n) => Number.isInteger(n) && n >= 0)) {
    fail(kernel, `${name} must be ${rank} non-negative integers, got ${show(shape)}`);
  }
}

export function pair(kernel: string, name: string, v: unknown): [number, number] {
  const p = typeof v === 'number' ? [v, v] : v;
  if (!Array.isArray(p) || p.length !== 2 || !p.every((n) => Number.isInteger(n) && n >= 1)) {
    fail(kernel, `${name} must be a positive integer or a pair of them, got ${show(v)}`);
  }
  return p as [number, number];
}

function checkPad(kernel: string, pad: unknown): void {
  if (pad === 'same' || pad === 'valid') return;
  if (typeof pad === 'number') {
    if (!(Number.isInteger(pad) && pad >= 0)) {
      fail(kernel, `pad must be 'same', 'valid', a non-negative integer or explicit [[t, b], ...] pairs, got ${show(pad)}`);
    }
    return;
  }
  const ok = Array.isArray(pad) && pad.length === 4 &&
    pad.every((p) => Array.isArray(p) && p.length === 2 && p.every((n) => Number.isInteger(n) && n >= 0));
  if (!ok) fail(kernel, `pad must be 'same', 'valid', a non-negative integer or 4 pairs of non-negative integers, got ${show(pad)}`);
}

/** The conv's geometry in NHWC terms, as the AssemblyScript kernels take it. */
export interface ConvGeometry {
  B: number; H: number; W: number; CI: number; OH: number; OW: number; CO: number;
  KH: number; KW: number; sh: number; sw: number; dh: number; dw: number; pt: number; pl: number;
  channelsFirst: boolean;
  /** dy's shape as the caller's data format lays it out. */
  outShape: number[];
}

export interface ConvAttrs {
  strides: unknown; dilations?: unknown; pad: unknown; dimRoundingMode?: unknown; dataFormat?: unknown;
}

export function convGeometry(kernel: string, xShape: number[], filterShape: number[], attrs: ConvAttrs,
                             depthwise: boolean): ConvGeometry {
  const { strides, pad, dimRoundingMode } = attrs;
  const dilations = attrs.dilations ?? 1;
  const dataFormat = attrs.dataFormat ?? 'NHWC';
  if (dataFormat !== 'NHWC' && dataFormat !== 'NCHW') fail(kernel, `dataFormat must be 'NHWC' or 'NCHW', got ${show(dataFormat)}`);
  if (depthwise && dataFormat !== 'NHWC') fail(kernel, `only dataFormat 'NHWC' is supported for depthwise convs, got ${show(dataFormat)}`);
  const [sh, sw] = pair(kernel, 'strides', strides);
  const [dh, dw] = pair(kernel, 'dilations', dilations);
  if (dimRoundingMode != null && dimRoundingMode !== 'floor' && dimRoundingMode !== 'round' && dimRoundingMode !== 'ceil') {
    fail(kernel, `dimRoundingMode must be 'floor', 'round' or 'ceil', got ${show(dimRoundingMode)}`);
  }
  checkPad(kernel, pad);
  const channelsFirst = dataFormat === 'NCHW';
  const inChannels = channelsFirst ? xShape[1] : xShape[3];
  if (filterShape[2] !== inChannels) {
    fail(kernel, `the filter's input channels (filter shape ${show(filterShape)}) must equal the input's ` +
      `${inChannels} channels (input shape ${show(xShape)}, ${dataFormat})`);
  }
  const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number],
    filterShape as [number, number, number, number], [sh, sw], [dh, dw], pad as Pad,
    dimRoundingMode as 'floor' | 'round' | 'ceil' | undefined, depthwise, channelsFirst ? 'channelsFirst' : 'channelsLast');
  if (!(info.outHeight >= 0 && info.outWidth >= 0)) {
    fail(kernel, `the conv output would be ${info.outHeight}×${info.outWidth}: the filter ${show(filterShape)} ` +
      `with dilations ${show(dilations)} does not fit the input ${show(xShape)} padded by ${show(pad)}`);
  }
  return {
    B: info.batchSize, H: info.inHeight, W: info.inWidth, CI: info.inChannels,
    OH: info.outHeight, OW: info.outWidth, CO: info.outChannels,
    KH: info.filterHeight, KW: info.filterWidth, sh, sw, dh, dw,
    pt: info.padInfo.top, pl: info.padInfo.left, channelsFirst, outShape: info.outShape,
  };
}

export function checkDy(kernel: string, dy: Info, g: ConvGeometry): void {
  if (dy.shape.length !== 4 || dy.shape.some((n, i) => n !== g.outShape[i])) {
    fail(kernel, `dy must have the conv output's shape ${show(g.outShape)}, got ${show(dy.shape)}`);
  }
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: tf.NamedAttrMap };

/** A max-pool gradient's dy and pool input, checked, and its window (MaxPoolGrad, FsamMaxPoolReluGrad). */
export function poolGradientArgs(kernel: string, args: KernelArgs): { dy: Info; input: Info; g: ConvGeometry; fh: number; fw: number } {
  const { inputs: { dy, input }, attrs } = args;
  checkTensor(kernel, 'dy', dy, 4, ['float32']);
  checkTensor(kernel, 'input', input, 4, ['float32']);
  const [fh, fw] = pair(kernel, 'filterSize', attrs.filterSize);
  const g = convGeometry(kernel, input.shape, [fh, fw, input.shape[3], 1],
    { strides: attrs.strides, pad: attrs.pad, dimRoundingMode: attrs.dimRoundingMode }, true);
  checkDy(kernel, dy, g);
  return { dy, input, g, fh, fw };
}

/** A filter gradient's inputs x and dy and its filterShape, checked, and the conv's geometry. */
export function filterGradientArgs(kernel: string, args: KernelArgs, depthwise: boolean) {
  const attrs = args.attrs as unknown as ConvAttrs & { filterShape: number[] };
  const { x, dy } = args.inputs;
  checkTensor(kernel, 'x', x, 4, ['float32']);
  checkTensor(kernel, 'dy', dy, 4, ['float32']);
  checkShape(kernel, 'filterShape', attrs.filterShape, 4);
  const g = convGeometry(kernel, x.shape, attrs.filterShape, attrs, depthwise);
  checkDy(kernel, dy, g);
  return { backend: args.backend, x, dy, filterShape: attrs.filterShape, g };
}

/** An input gradient's inputs dy and filter and its inputShape, checked, and the conv's geometry. */
export function inputGradientArgs(kernel: string, args: KernelArgs, depthwise: boolean) {
  const attrs = args.attrs as unknown as ConvAttrs & { inputShape: number[] };
  const { dy, filter } = args.inputs;
  checkTensor(kernel, 'dy', dy, 4, ['float32']);
  checkTensor(kernel, 'filter', filter, 4, ['float32']);
  checkShape(kernel, 'inputShape', attrs.inputShape, 4);
  const g = convGeometry(kernel, attrs.inputShape, filter.shape, attrs, depthwise);
  checkDy(kernel, dy, g);
  return { backend: args.backend, dy, filter, inputShape: attrs.inputShape, g };
}

function transposeWith(backend: BackendWasm, t: Info, perm: number[]): Info {
  const transpose = tf.getKernel('Transpose', 'wasm')!.kernelFunc;
  return transpose({ inputs: { x: t }, backend, attrs: { perm } }) as Info;
}

/** NCHW → NHWC (a new tensor info, to dispose with backend.disposeData). */
export const toNHWC = (backend: BackendWasm, t: Info) => transposeWith(backend, t, [0, 2, 3, 1]);
/** NHWC → NCHW. */
export const toNCHW = (backend: BackendWasm, t: Info) => transposeWith(backend, t, [0, 3, 1, 2]);

/** The shape an NHWC kernel sees for an NCHW tensor. */
export const nhwcShape = (s: number[]) => [s[0], s[2], s[3], s[1]];
