// Entry of an explorer worker thread: Node runs the TypeScript sources through tsx (a worker does
// not inherit the module hooks its parent registered), then hands over to worker.ts.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
