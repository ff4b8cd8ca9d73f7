import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The JavaScript the global setup transpiled from a TypeScript file of this repository, to run
 * as a process of its own: `processEntry('src/cli.ts')` is pulsebot's CLI.
 */
export function processEntry(path: string): string {
  const build = inject('processBuild');
  if (build === undefined) {
    throw new Error(
      `this test starts ${path} as a process, but runs in the ${inject('testProject') ?? 'unknown'} project, which does not ` +
        'prepare that: name its file *.process.test.ts; see vitest.config.ts',
    );
  }
  return join(build, path.replace(/\.ts$/, '.js'));
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `pulsebot …` as a real process (the sources, transpiled once per run), in `cwd`. */
export function runCli(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<CliResult> {
  const cli = processEntry('src/cli.ts');
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: '', PULSEBOT_CONFIG: '', DEBUG: '', ...options.env };
    const child = spawn(process.execPath, [cli, ...args], {
      cwd: options.cwd ?? ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
