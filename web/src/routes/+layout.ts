// A client-side app: nothing is rendered or prerendered on a server.
export const ssr = false;
export const prerender = false;
