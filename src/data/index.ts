// Data for the CLI, the study and the app: seeded randomness, labelled sets and their
// splits and label noise, writing styles, the built-in task, the packaged digits' format
// and the grammar of user datasets. Platform-neutral; reading files is ../node/'s.
export * from './random';
export * from './digits';
export * from './transform';
export * from './default_task';
export * from './dataset_text';
export * from './digits_file';
