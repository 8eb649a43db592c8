// The framework-free optimizer reproduces the official implementation's trajectories
// (nblt/F-SAM FriendlySAM and SAM on torch.optim.SGD, float32) step by step.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createOptimizer } from '../dist/core.js';
import { assertClose } from './support/assert_close.mjs';
import { loadGolden, mlpLossAndGrads, VARIABLES } from './support/golden_mlp.mjs';

const s = suite('golden trajectories (core API)');

for (const name of ['fsam_sgd_sigma1', 'sam_sgd']) {
  s(`${name}: every step within 5e-6 of the official code`, async () => {
    const gold = loadGolden(name);
    const hp = gold.hyperparameters;
    const opt = await createOptimizer({
      variables: VARIABLES.map((v) => ({ name: v, size: gold.init[v].length })),
      sharpness: gold.optimizer, base: 'sgd', learningRate: hp.learningRate, momentum: hp.momentum,
      weightDecay: hp.weightDecay, rho: hp.rho, sigma: hp.sigma ?? 1, lambda: hp.lambda ?? 0.6,
    });
    VARIABLES.forEach((v, i) => opt.weights[i].set(gold.init[v]));
    let worst = 0;
    gold.batches.forEach((batch, t) => {
      const loss = opt.stepWith((w, g) => mlpLossAndGrads(w, batch, g));
      assert.ok(Math.abs(loss - gold.lossBeforeEachStep[t]) < 5e-6, `step ${t + 1}: loss ${loss} vs ${gold.lossBeforeEachStep[t]}`);
      VARIABLES.forEach((v, i) => {
        const want = gold.weightsAfterEachStep[t][v];
        assertClose(opt.weights[i], want, { atol: 5e-6, label: `${name} step ${t + 1} ${v}` });
        for (let j = 0; j < want.length; j++) worst = Math.max(worst, Math.abs(opt.weights[i][j] - want[j]));
      });
    });
    assert.is(opt.iterations, gold.batches.length);
    assert.ok(worst < 5e-7, `worst deviation ${worst} should be a few 1e-7`);
    console.log(`  ${name}: worst deviation from the official trajectory ${worst.toExponential(2)}`);
    opt.dispose();
  });
}

s.run();
