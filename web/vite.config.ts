// Builds the two web apps into web/dist: the buyer app (index.html, served at /) and the merchant
// console (console.html, served at /console). The Hawker node serves dist; `npm run build:web` runs this.
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';
import { defineConfig, type Plugin } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);

/**
 * Writes a .br and a .gz beside each built script, style and SVG, compressed once as hard as they go, for the
 * node to send to browsers that accept them (@fastify/static's preCompressed). node:zlib does it in these few
 * lines; a plugin from npm would add dependencies for the same.
 */
function precompress(): Plugin {
  return {
    name: 'hawker-precompress',
    apply: 'build',
    async writeBundle(options) {
      const assets = join(options.dir!, 'assets');
      const files = (await readdir(assets)).filter((name) => /\.(js|css|svg)$/.test(name)).map((name) => join(assets, name));
      // zlib's thread pool compresses them side by side.
      await Promise.all(
        files.map(async (file) => {
          const raw = await readFile(file);
          const br = brotli(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } });
          const gz = gzipped(raw, { level: constants.Z_BEST_COMPRESSION });
          await Promise.all([writeFile(`${file}.br`, await br), writeFile(`${file}.gz`, await gz)]);
        }),
      );
    },
  };
}

export default defineConfig({
  root: here('.'),
  base: '/',
  publicDir: false,
  // Preact's JSX runtime, without the React compatibility layer.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  plugins: [precompress()],
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    // The page-weight budget test reads which chunks each page loads from the manifest.
    manifest: true,
    target: 'es2020',
    rolldownOptions: { input: { buyer: here('index.html'), console: here('console.html') } },
  },
});
