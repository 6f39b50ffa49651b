/**
 * Giving the event loop back during long work (big scrapes, the JSON API and the status page over a big
 * store), so health checks and pushes are answered in between: see slicer.ts.
 */
export { SLICE_MS, yieldToEventLoop } from '../slicer.js';
