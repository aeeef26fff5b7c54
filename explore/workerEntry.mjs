// Entry of an explorer worker thread: Node runs the TypeScript sources through tsx (a worker does
// not inherit the module hooks its parent registered), then hands over to the module named in
// workerData.entry (worker.ts for BFS levels, swarmWorker.ts for swarm sub-searches).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(new URL(workerData.entry, import.meta.url).href);
