// Data for the CLI and the study: seeded randomness, labelled sets and their splits and
// label noise, writing styles, the built-in task, and strict loading of user datasets.
export * from './random';
export * from './digits';
export * from './transform';
export * from './default_task';
export * from './dataset_file';
export * from './digits_file';
export * from './mnist';
