// The self-contained bundle's types (tsc under Bundler and NodeNext, deno check): its tf
// has tfjs-core's chained tensor methods, which the bundle registers.
import { ready, tf, FSAM } from 'fsam-edge/bundle';

await ready();
const w = tf.variable(tf.scalar(0));
const loss = () => tf.tensor1d([1, 2]).sub(w).square().mean() as ReturnType<typeof tf.scalar>;
new FSAM({ rho: 0.05 }).minimize(loss);
// @ts-expect-error: ready() has no option 'wasmPath'
await ready({ wasmPath: '/' });
