// A swarm worker thread: runs whole sub-searches (explore/swarm.ts) one at a time, in this thread.

import { parentPort, workerData } from 'node:worker_threads';
import type { AllocatorConfig } from '../impl/index.ts';
import { explore } from './explorer.ts';
import type { SubSearchReply, SubSearchRequest } from './swarm.ts';

const port = parentPort;
if (port === null) throw new Error('explore/swarmWorker.ts runs only as a worker thread');
const { config } = workerData as { readonly config: AllocatorConfig };

port.on('message', (request: SubSearchRequest) => {
  const r = explore(config, { depth: request.depth, timeMs: request.timeMs, alphabet: request.letters, symmetry: request.symmetry });
  const reply: SubSearchReply = {
    index: request.index,
    depthCompleted: r.depthCompleted,
    exhausted: r.exhausted,
    states: r.states,
    distinctStates: r.distinctStates,
    elapsedMs: r.elapsedMs,
    violation: r.violation,
  };
  port.postMessage(reply);
});
