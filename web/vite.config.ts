import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The admin UI builds into web/dist, which the server serves under the same origin as its
 * API (src/server/static.ts): no CORS, and the session cookie just works.
 */
export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Hashed names under /assets/ are what lets the server cache them for a year.
    assetsDir: 'assets',
    sourcemap: true,
  },
  server: {
    // `vite dev` proxies the API to a running `npm start` so the UI can be worked on live.
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/healthz': 'http://127.0.0.1:8080',
      '/oauth': 'http://127.0.0.1:8080',
    },
  },
});
