/**
 * First step of `npm run build`: removes dist/, so the compile starts from nothing and a source file
 * (or test) deleted from the tree cannot live on as a stale .js and keep running.
 */
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

rmSync(fileURLToPath(new URL('../dist', import.meta.url)), { recursive: true, force: true });
