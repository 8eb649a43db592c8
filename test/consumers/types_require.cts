// CommonJS consumers under NodeNext get the same types through require().
import fsam = require('fsam-edge');
import core = require('fsam-edge/core');

void fsam.ready({ keepBackend: true });
new fsam.FSAM({ rho: 0.1 });
void core.createOptimizer({ variables: [{ name: 'w', size: 1 }] });
