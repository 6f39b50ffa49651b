/**
 * The one way a test says a program it needs is missing: a loud `*** SKIPPED: … ***` line on stderr
 * (so a CI log shows what did not run and how to get it) and the same reason as node:test's `skip`.
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/** False when `present`, else prints `SKIPPED: <what> missing (<install>)` loudly and returns it. */
export function skipUnless(present: boolean, what: string, install: string): string | false {
  if (present) return false;
  const reason = `SKIPPED: ${what} missing (${install})`;
  console.warn(`\n*** ${reason} ***\n`);
  return reason;
}

/** Whether `program` (a path, or a name looked up in PATH) is an executable file. */
export function hasProgram(program: string): boolean {
  const candidates = program.includes('/')
    ? [program]
    : (process.env.PATH ?? '')
        .split(path.delimiter)
        .filter((d) => d !== '')
        .map((d) => path.join(d, program));
  return candidates.some((file) => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  });
}

/** skipUnless for a program: false when it is installed, else the loud reason. */
export function skipUnlessProgram(program: string, install: string): string | false {
  return skipUnless(hasProgram(program), program, install);
}
