import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vite';

// `npm run dev` proxies the api's paths to a running `tds serve` or `tds demo`.
const api = process.env.TDS_API_URL ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [sveltekit()],
  server: {
    proxy: {
      '/graphql': { target: api, ws: true, changeOrigin: true },
      '^/reports/[^/]+/download': { target: api, changeOrigin: true },
      '/certificates/bundles': { target: api, changeOrigin: true },
      '/readyz': { target: api, changeOrigin: true },
    },
  },
  build: { chunkSizeWarningLimit: 300 },
});
