// The Conv2D gradient, completed for dilations > 1 (tfjs-core's rejects them). With all
// dilations 1 it is tfjs-core's own gradient, untouched. Dilated convs have strides 1
// (tfjs-core's conv2d requires one of the two to be 1). On 'wasm' the two backprops run
// fsam-edge's kernels, which take a `dilations` attribute; on any other backend they
// are composed from forward ops:
//   dx  = conv2d(dy, F rotated 180° with ci ↔ co, stride 1, dilated, padded by the
//         rest of the dilated filter) — the transposed conv, any backend can run it;
//   dF[kh,kw] = x_(kh,kw)ᵀ · dy, with x_(kh,kw) the window of x the tap saw.
import { tf } from '../tf';
import { fail } from './conv_util';
import { nhwcPad } from './Conv2D';

type T4 = tf.Tensor4D;

export function dilatedGradsAreOurs(kernelName: string): boolean {
  return tf.getBackend() === 'wasm' && ownKernels.has(tf.getKernel(kernelName, 'wasm')?.kernelFunc);
}
/** Kernel functions registered by fsam-edge, which understand a `dilations` attribute. */
export const ownKernels = new Set<unknown>();

interface ConvAttrs {
  strides: [number, number] | number; dilations: [number, number] | number; pad: tf.NamedAttrMap[string];
  dataFormat?: 'NHWC' | 'NCHW'; dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** The forward conv's geometry (padding, output size, dilations) as tfjs computed it. */
export function convInfoOf(xShape: number[], fShape: number[], a: ConvAttrs, depthwise: boolean) {
  const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number],
    fShape as [number, number, number, number], a.strides, a.dilations, a.pad as 'same', a.dimRoundingMode, depthwise,
    a.dataFormat === 'NCHW' ? 'channelsFirst' : 'channelsLast');
  return info;
}

/** x's window seen by tap (kh, kw) of a stride-1 dilated conv: [B, OH, OW, C]. */
export function tapWindow(x: T4, kh: number, kw: number, info: tf.backend_util.Conv2DInfo): T4 {
  const { padInfo: p, outHeight: OH, outWidth: OW, dilationHeight: dh, dilationWidth: dw } = info;
  const top = kh * dh - p.top, left = kw * dw - p.left;
  // Pad x so that every row/column in [top, top + OH) × [left, left + OW) exists.
  const padT = Math.max(0, -top), padL = Math.max(0, -left);
  const padB = Math.max(0, top + OH - x.shape[1]), padR = Math.max(0, left + OW - x.shape[2]);
  const xp = padT || padL || padB || padR ? tf.pad(x, [[0, 0], [padT, padB], [padL, padR], [0, 0]]) : x;
  return tf.slice(xp, [0, top + padT, left + padL, 0], [x.shape[0], OH, OW, x.shape[3]]);
}

function dilatedConv2DGrads(dy: T4, x: T4, filter: T4, a: ConvAttrs) {
  const nchw = a.dataFormat === 'NCHW';
  const xh = nchw ? tf.transpose(x, [0, 2, 3, 1]) : x;
  const dyh = nchw ? tf.transpose(dy, [0, 2, 3, 1]) : dy;
  const info = convInfoOf(xh.shape, filter.shape,
    { ...a, dataFormat: 'NHWC', pad: nchw ? nhwcPad(a.pad) as ConvAttrs['pad'] : a.pad }, false);
  const [KH, KW, CI, CO] = filter.shape;
  const { padInfo: p, outHeight: OH, outWidth: OW, dilationHeight: dh, dilationWidth: dw } = info;
  const [B, H, W] = xh.shape;
  const dxFn = () => {
    // Transposed conv: dy padded so that the dilated, rotated filter lands on every x row.
    const eh = (KH - 1) * dh, ew = (KW - 1) * dw;
    let t = eh - p.top, b = H - OH + p.top, l = ew - p.left, r = W - OW + p.left;
    let d = dyh;
    // Negative padding crops dy (explicit pads larger than the filter reach).
    if (t < 0 || l < 0 || b < 0 || r < 0) {
      const ct = Math.max(0, -t), cl = Math.max(0, -l), cb = Math.max(0, -b), cr = Math.max(0, -r);
      d = tf.slice(d, [0, ct, cl, 0], [B, OH - ct - cb, OW - cl - cr, CO]);
      t = Math.max(0, t); l = Math.max(0, l); b = Math.max(0, b); r = Math.max(0, r);
    }
    const fr = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as T4;
    const dx = tf.conv2d(d, fr, 1, [[0, 0], [t, b], [l, r], [0, 0]], 'NHWC', [dh, dw]);
    return nchw ? tf.transpose(dx, [0, 3, 1, 2]) : dx;
  };
  const dfFn = () => {
    const dy2 = tf.reshape(dyh, [B * OH * OW, CO]);
    const taps: tf.Tensor2D[] = [];
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        taps.push(tf.matMul(tf.reshape(tapWindow(xh, kh, kw, info), [B * OH * OW, CI]), dy2, true, false));
      }
    }
    return tf.reshape(tf.stack(taps), [KH, KW, CI, CO]);
  };
  return { x: dxFn, filter: dfFn };
}

export function makeConv2DGradConfig(original: tf.GradConfig): tf.GradConfig {
  return {
    kernelName: 'Conv2D',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const a = attrs as unknown as ConvAttrs;
      if (tf.backend_util.tupleValuesAreOne(a.dilations)) return original.gradFunc(dy, saved, attrs);
      const [x, filter] = saved as [T4, T4];
      if (!tf.backend_util.eitherStridesOrDilationsAreOne(a.strides, a.dilations)) {
        fail('Conv2D gradient', `strides ${JSON.stringify(a.strides)} and dilations ${JSON.stringify(a.dilations)} ` +
          'are both > 1; one of them must be 1');
      }
      if (dilatedGradsAreOurs('Conv2DBackpropInput') && dilatedGradsAreOurs('Conv2DBackpropFilter')) {
        const common = { strides: a.strides, pad: a.pad, dataFormat: a.dataFormat ?? 'NHWC',
          dimRoundingMode: a.dimRoundingMode, dilations: a.dilations };
        return {
          x: () => tf.engine().runKernel('Conv2DBackpropInput', { dy: dy as T4, filter },
            { ...common, inputShape: x.shape } as unknown as tf.NamedAttrMap) as T4,
          filter: () => tf.engine().runKernel('Conv2DBackpropFilter', { x, dy: dy as T4 },
            { ...common, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as T4,
        };
      }
      return dilatedConv2DGrads(dy as T4, x, filter, a);
    },
  };
}
