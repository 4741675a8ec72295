// Starts the engine thread from TypeScript sources (npm start / tests run .ts through tsx):
// a worker thread does not inherit the parent's loader hooks, so register tsx's here, then
// load the real entry and hand its task functions to piscina. Built code (dist/) starts
// engine.thread.js directly.
import { register } from 'tsx/esm/api';
import { workerData } from 'node:worker_threads';

register();
const entry = await import(workerData.entry);
export default entry.default;
export const warmUp = entry.warmUp;
