// Checks that the server's Content-Security-Policy is in force, so that the other pages
// passing under it means something: eval, new Function and inline scripts are refused,
// WebAssembly compiles.
const out = document.getElementById('out');
const refused = (f) => { try { f(); return false; } catch (err) { return err instanceof EvalError; } };
const report = {
  eval: refused(() => eval('1')) ? 'refused' : 'allowed',
  newFunction: refused(() => new Function('return 1')) ? 'refused' : 'allowed',
  inlineScript: out.dataset.inline === 'ran' ? 'allowed' : 'refused',
  wasm: WebAssembly.validate(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]))
    && new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])) ? 'compiles' : 'refused',
};
out.textContent = JSON.stringify(report);
