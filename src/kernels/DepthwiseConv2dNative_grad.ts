// The DepthwiseConv2dNative gradient, completed for dilations > 1 (tfjs-core's rejects
// them). With all dilations 1 it is tfjs-core's own gradient, untouched. tfjs's depthwise
// backprop ops already carry `dilations`; on 'wasm' fsam-edge's kernels honour them. On
// any other backend the backprops are composed per tap (strides are 1 when dilated):
//   dF[kh,kw,ci,m] = Σ x_(kh,kw)[…, ci] · dy[…, ci·M + m]
//   dx            += the tap's Σ_m dy[…, ci·M + m] · F[kh,kw,ci,m], shifted to where it came from.
import { tf } from '../tf';
import { fail } from './conv_util';
import { convInfoOf, dilatedGradsAreOurs, tapWindow } from './Conv2D_grad';

type T4 = tf.Tensor4D;

interface DwAttrs {
  strides: [number, number] | number; dilations?: [number, number] | number; pad: tf.NamedAttrMap[string];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function composedGrads(dy: T4, x: T4, filter: T4, a: DwAttrs & { dilations: [number, number] | number }) {
  const info = convInfoOf(x.shape, filter.shape, { ...a, dataFormat: 'NHWC' }, true);
  const [KH, KW, CI, M] = filter.shape;
  const [B, H, W] = x.shape;
  const { padInfo: p, outHeight: OH, outWidth: OW, dilationHeight: dh, dilationWidth: dw } = info;
  const dy5 = tf.reshape(dy, [B, OH, OW, CI, M]);
  return {
    x: () => {
      // Place each tap's contribution in a frame large enough for every shift, then crop.
      const top = p.top, left = p.left;
      const FH = Math.max(H + top, OH + (KH - 1) * dh), FW = Math.max(W + left, OW + (KW - 1) * dw);
      const parts: tf.Tensor4D[] = [];
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          const fk = tf.reshape(tf.slice(filter, [kh, kw, 0, 0], [1, 1, CI, M]), [CI, M]);
          const c = tf.sum(tf.mul(dy5, fk), 4) as T4;
          parts.push(tf.pad(c, [[0, 0], [kh * dh, FH - OH - kh * dh], [kw * dw, FW - OW - kw * dw], [0, 0]]));
        }
      }
      return tf.slice(tf.addN(parts), [0, top, left, 0], [B, H, W, CI]) as T4;
    },
    filter: () => {
      const taps: tf.Tensor[] = [];
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          const xw = tf.expandDims(tapWindow(x, kh, kw, info), 4);
          taps.push(tf.sum(tf.mul(xw, dy5), [0, 1, 2]));
        }
      }
      return tf.reshape(tf.stack(taps), [KH, KW, CI, M]) as T4;
    },
  };
}

export function makeDepthwiseConv2dNativeGradConfig(original: tf.GradConfig): tf.GradConfig {
  return {
    kernelName: 'DepthwiseConv2dNative',
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const a = attrs as unknown as DwAttrs;
      const dilations = a.dilations ?? 1;
      if (tf.backend_util.tupleValuesAreOne(dilations)) return original.gradFunc(dy, saved, attrs);
      const [x, filter] = saved as [T4, T4];
      if (!tf.backend_util.eitherStridesOrDilationsAreOne(a.strides, dilations)) {
        fail('DepthwiseConv2dNative gradient', `strides ${JSON.stringify(a.strides)} and dilations ` +
          `${JSON.stringify(dilations)} are both > 1; one of them must be 1`);
      }
      if (dilatedGradsAreOurs('DepthwiseConv2dNativeBackpropInput') &&
          dilatedGradsAreOurs('DepthwiseConv2dNativeBackpropFilter')) {
        const common = { strides: a.strides, pad: a.pad, dimRoundingMode: a.dimRoundingMode, dilations };
        return {
          x: () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: dy as T4, filter },
            { ...common, inputShape: x.shape } as unknown as tf.NamedAttrMap) as T4,
          filter: () => tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x, dy: dy as T4 },
            { ...common, filterShape: filter.shape } as unknown as tf.NamedAttrMap) as T4,
        };
      }
      return composedGrads(dy as T4, x, filter, { ...a, dilations });
    },
  };
}
