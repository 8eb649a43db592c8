// Kernels whose every call is checked: exactly as many arguments as the wasm function
// has parameters (its .length), each a number or a boolean. A call that drops or adds
// an argument fails with the kernel's name instead of passing undefined (as 0 or NaN).
export function strictKernels(kernels) {
  const out = {};
  for (const [name, kernel] of Object.entries(kernels)) {
    if (typeof kernel !== 'function') { out[name] = kernel; continue; }
    out[name] = (...args) => {
      if (args.length !== kernel.length) throw new TypeError(`${name} takes ${kernel.length} arguments, got ${args.length}`);
      args.forEach((a, i) => {
        if (typeof a !== 'number' && typeof a !== 'boolean') throw new TypeError(`${name}: argument ${i + 1} is ${String(a)}, not a number`);
      });
      return kernel(...args);
    };
  }
  return out;
}
