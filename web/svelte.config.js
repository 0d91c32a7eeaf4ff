import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

// `TDS_WEB_OUT` and `TDS_WEB_KIT_DIR` let two builds run side by side.
const out = process.env.TDS_WEB_OUT ?? 'build';

/** @type {import('@sveltejs/kit').Config} */
export default {
  preprocess: vitePreprocess(),
  kit: {
    // A single-page app: the api serves `build/` and answers every unknown path with
    // index.html, so client-side routes survive a reload.
    adapter: adapter({ pages: out, assets: out, fallback: 'index.html', precompress: true, strict: true }),
    outDir: process.env.TDS_WEB_KIT_DIR ?? '.svelte-kit',
    version: { pollInterval: 0 },
    // Scripts only from the app itself (the inline bootstrap by hash); the api is the
    // same origin, its WebSocket included.
    csp: {
      mode: 'hash',
      directives: {
        'default-src': ['self'],
        'script-src': ['self'],
        'style-src': ['self', 'unsafe-inline'],
        'img-src': ['self', 'data:'],
        'connect-src': ['self'],
        'object-src': ['none'],
        'base-uri': ['self'],
        'form-action': ['self'],
      },
    },
  },
};
