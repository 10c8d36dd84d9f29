// Worker-thread entry that loads a TypeScript module through tsx. On Node 20,
// `execArgv: ['--import', 'tsx']` does not reach a worker's own entry file, so the worker
// starts here (plain JS), registers tsx, then imports the real module given in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.tsEntry);
