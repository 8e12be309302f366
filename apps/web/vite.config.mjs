// The rollout board (apps/web): built by `npm run build` into dist/web, served by the gateway under /ui.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/ui/',
  logLevel: 'warn',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../../dist/web', import.meta.url)),
    emptyOutDir: true,
    assetsDir: 'assets',
    // the gateway's CSP allows scripts from its own origin only: no inline module preload polyfill
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1024,
  },
});
