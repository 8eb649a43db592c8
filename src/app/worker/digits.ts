// The packaged digits (data/mnist-digits.bin.gz, the CLI's built-in task's), fetched
// beside the page and gunzipped by the browser: decoded by the CLI's own decoder, so the
// built-in task's digits, splits and digest are the CLI's.
import { decodeDigits } from '../../data/digits_file';
import type { LabelledSet } from '../../data/digits';

let digits: Promise<LabelledSet> | undefined;

export function packagedDigits(url = new URL('../data/mnist-digits.bin.gz', import.meta.url).href): Promise<LabelledSet> {
  digits ??= (async () => {
    const response = await fetch(url);
    if (!response.ok || !response.body) throw new Error(`the built-in digits ${url} did not load (HTTP ${response.status})`);
    const bytes = new Uint8Array(await new Response(response.body.pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
    const set = decodeDigits(bytes);
    if (set.shape[0] !== 28 || set.numClasses !== 10) throw new Error(`${url}: not 28×28 digits of 10 classes`);
    return set;
  })().catch((err) => { digits = undefined; throw err; });
  return digits;
}
