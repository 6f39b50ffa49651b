/** Version and build information, read once from package.json (and git, when built from a checkout). */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function readVersion(): string {
  try {
    return (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).toString().trim();
  } catch {
    return '';
  }
}

export const VERSION = readVersion();
export const REVISION = git(['rev-parse', 'HEAD']);
export const BRANCH = git(['rev-parse', '--abbrev-ref', 'HEAD']);
export const BUILD_DATE = '';

