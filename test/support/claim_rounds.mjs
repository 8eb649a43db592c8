// A child of test/cli_lock_race.test.mjs: claims <root>/round-<r>/ for r = 0 … rounds−1,
// each claim at start + r·period (ms since the epoch; both children wait for the same
// instants), and prints one line per round: "won" or the refusal. Wins are not released:
// the other child's claim of that round must be refused, not handed the lock after.
const [root, rounds, start, period] = process.argv.slice(2);
const { claimOutDir } = await import('../../dist/cli.js');
const lines = [];
for (let r = 0; r < Number(rounds); r++) {
  const at = Number(start) + r * Number(period);
  while (Date.now() < at) { /* spin: both children leave this loop within the same millisecond */ }
  try {
    claimOutDir(`${root}/round-${r}`, 'race');
    lines.push('won');
  } catch (err) {
    lines.push(`lost: ${err.message}`);
  }
}
process.stdout.write(lines.join('\n') + '\n');
