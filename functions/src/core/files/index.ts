/** Content-addressed uploads: `Files.upload`, `Files.missing`, direct uploads (`Files.createUploads`, `Files.completeUploads`). */
export * as Files from './files.ts';
export { DIGEST_HEADER, DirectUpload, UploadBatch, UploadedFile, type UploadFile, type UploadOutcome } from './files.ts';
