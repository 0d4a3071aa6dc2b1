// Where things are. The bench runs compiled (tsconfig.bench.json puts bench/x.ts at bench/dist/x.js),
// so the repository is two folders up from this file's compiled copy.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoDir = fileURLToPath(new URL('../..', import.meta.url));
if (!existsSync(join(repoDir, 'package.json')) || !existsSync(join(repoDir, 'bench', 'paths.ts'))) {
  throw new Error(`bench: run the compiled runner (npm run bench), not ${fileURLToPath(import.meta.url)}`);
}

export const benchBuildDir = join(repoDir, 'bench', 'dist');
export const resultsDir = join(repoDir, 'bench', 'results');

// A compiled bench script by its source name, e.g. 'baseline-server' for bench/baseline-server.ts.
export function compiledBenchScript(name: string): string {
  return join(benchBuildDir, `${name}.js`);
}
