// What dist/cli.js exports as `data`: the platform-neutral data modules with their Node
// adapters (datasets and the packaged digits read from files).
export * from '../data/index';
export * from './dataset_file';
export * from './mnist';
