// Builds dist/main.js, the server `npm start` runs: src/ bundled into one ES module by esbuild (installed
// with tsx; packages stay in node_modules). A start then loads one file instead of transforming ~130
// TypeScript modules through tsx's loader (~0.6 s of every start here). Tests and the bench run the
// sources through tsx.
//   node scripts/build-server.mjs              build
//   node scripts/build-server.mjs --if-stale   build only if a file under src/ (or this script) is newer
// Plain JavaScript, so that it runs before anything is built.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');
const OUT = join(DIST, 'main.js');

function newestUnder(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath ?? entry.path, entry.name)).mtimeMs);
  }
  return newest;
}

function builtAt() {
  try {
    return statSync(OUT).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Sources find files beside them (migrations, the PGlite worker, web/dist) from import.meta: in the
 * bundle it names each source's own place in src/, so those files are read where they are.
 */
const keepSourceLocations = {
  name: 'keep-source-locations',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      if (!text.includes('import.meta.')) return { contents: text, loader: 'ts' };
      const fromDist = relative(DIST, args.path).split('\\').join('/');
      return {
        loader: 'ts',
        contents: text
          .replace(/\bimport\.meta\.url\b/g, `new URL(${JSON.stringify(fromDist)}, import.meta.url).href`)
          .replace(/\bimport\.meta\.dirname\b/g, `(import.meta.dirname + ${JSON.stringify(`/${dirname(fromDist)}`)})`),
      };
    });
  },
};

if (process.argv.includes('--if-stale') && builtAt() >= Math.max(newestUnder(SRC), statSync(fileURLToPath(import.meta.url)).mtimeMs)) process.exit(0);

const started = Date.now();
await build({
  // The feed jobs' worker thread is an entry of its own (dist/feed-worker.js), beside main.js.
  entryPoints: { main: join(SRC, 'main.ts'), 'feed-worker': join(SRC, 'modules/feed/compute-worker.ts') },
  outdir: DIST,
  bundle: true,
  // What a node loads only when configured (the PostgreSQL and NATS clients) stays out of main.js.
  splitting: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [keepSourceLocations],
  // Code that starts a worker from its own bundle asks this (src/modules/feed/jobs.ts).
  banner: { js: 'globalThis.HAWKER_BUNDLE = true;' },
});
console.error(`built ${relative(ROOT, OUT)} from src/ in ${Date.now() - started} ms`);
