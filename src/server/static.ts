import { fileURLToPath } from 'node:url';

// src/server and dist/server are both two levels below the package root.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Where `npm run build` bundles the browser app (scripts/build-web.ts). */
export const WEB_DIR = `${ROOT}dist/web/`;

/** The app's files: a fixed list, so a request names one of these or nothing. */
export const APP_FILES: Record<string, { path: string; type: string }> = {
  'index.html': { path: `${WEB_DIR}index.html`, type: 'text/html; charset=utf-8' },
  'app.js': { path: `${WEB_DIR}app.js`, type: 'text/javascript; charset=utf-8' },
  'worker.js': { path: `${WEB_DIR}worker.js`, type: 'text/javascript; charset=utf-8' },
  'worklet.js': { path: `${WEB_DIR}worklet.js`, type: 'text/javascript; charset=utf-8' },
  'style.css': { path: `${WEB_DIR}style.css`, type: 'text/css; charset=utf-8' },
  'kernels.wasm': { path: `${ROOT}wasm/kernels.wasm`, type: 'application/wasm' },
};
