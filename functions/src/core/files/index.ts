/** Content-addressed uploads: `Files.upload`, `Files.missing`. */
export * as Files from './files.ts';
export { DIGEST_HEADER, UploadedFile } from './files.ts';
