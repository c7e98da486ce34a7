// Builds the two web apps into web/dist: the buyer app (index.html, served at /) and the merchant
// console (console.html, served at /console). The Hawker node serves dist; `npm run build:web` runs this.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/',
  publicDir: false,
  // Preact's JSX runtime, without the React compatibility layer.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    // The page-weight budget test reads which chunks each page loads from the manifest.
    manifest: true,
    target: 'es2020',
    rolldownOptions: { input: { buyer: here('index.html'), console: here('console.html') } },
  },
});
