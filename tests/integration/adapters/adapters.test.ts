import { expect } from 'vitest';
import { S3ArtifactStore } from '../../../functions/src/adapters/artifacts/s3.ts';
import { S3BlobStore } from '../../../functions/src/adapters/blob-store/s3.ts';
import { EmulatorEdgeStore } from '../../../functions/src/adapters/edge-store/emulator.ts';
import { artifactStoreContract, blobStoreContract, edgeStoreContract } from '../../support/contracts.ts';

// The adapters `npm start` uses, against the emulator; the same cases run on the in-memory fakes.
edgeStoreContract('emulator (S3 objects edge-kvs/<host>)', () => new EmulatorEdgeStore());
blobStoreContract('S3 (blobs/<teamId>/<sha256>)', () => new S3BlobStore());
artifactStoreContract('S3 (the artifact bucket, presigned PUTs sent with fetch)', () => ({
  store: new S3ArtifactStore(),
  upload: async (put, bytes) => {
    const res = await fetch(put.url, { method: 'PUT', headers: put.headers, body: new Uint8Array(bytes) });
    expect(res.status, await res.text()).toBe(200);
  },
}));
