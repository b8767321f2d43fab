import { defineConfig } from 'astro/config';

// Static build: the console is plain files on S3 + CloudFront; it reads the API URL at run time
// from /config.json, which the console stack (or the local console server) provides.
export default defineConfig({
  output: 'static',
  build: { format: 'directory' },
});
