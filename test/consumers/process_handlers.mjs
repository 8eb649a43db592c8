// The example: the app's own uncaughtException handler decides, after ready().
process.on('uncaughtException', e => console.log('caught', e.message));
const { ready } = await import('fsam-edge'); await ready();
setTimeout(() => { throw new Error('x') }, 10);
setTimeout(() => console.log('alive'), 300);   // never prints
