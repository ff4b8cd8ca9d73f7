import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

/**
 * pulsebot started through tsx pays ~0.6 s per process for the loader and esbuild before any of
 * its own code runs, and the process tests start it about a hundred times. So the sources are
 * transpiled once per test run, by the TypeScript compiler the build uses (types are checked by
 * `npm run typecheck`, not here), into a tree that mirrors the repository: `<into>/src/cli.js`,
 * `<into>/test/delivery/crash-child.js`, and links to everything else (package.json, sql/,
 * templates/, node_modules/), so paths the code finds relative to itself still resolve.
 */
export function buildForProcesses(root: string, into: string): void {
  const options = compilerOptions(root);
  for (const top of readdirSync(root)) {
    if (top === 'src' || top === 'test' || top.startsWith('.')) continue;
    symlinkSync(join(root, top), join(into, top));
  }
  for (const file of typescriptFiles(join(root, 'src'))) transpile(root, into, file, options);
  // Test helpers that run as processes of their own (not the test files themselves).
  for (const file of typescriptFiles(join(root, 'test'))) {
    if (!file.endsWith('.test.ts')) transpile(root, into, file, options);
  }
}

function compilerOptions(root: string): ts.CompilerOptions {
  const { config } = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.convertCompilerOptionsFromJson((config as { compilerOptions: unknown }).compilerOptions, root);
  // Every source file is an ES module (package.json "type": "module"); transpileModule cannot
  // read package.json to infer that from NodeNext, so it is stated.
  return { ...options, module: ts.ModuleKind.ES2022, sourceMap: false, inlineSourceMap: false, declaration: false };
}

function transpile(root: string, into: string, file: string, options: ts.CompilerOptions): void {
  const out = join(into, relative(root, file)).replace(/\.ts$/, '.js');
  const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
    compilerOptions: options,
    fileName: file,
    reportDiagnostics: false,
  });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, outputText);
}

function typescriptFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .map((name) => join(dir, name));
}
