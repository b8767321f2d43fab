import { S3BlobStore } from '../../../functions/src/adapters/blob-store/s3.ts';
import { EmulatorEdgeStore } from '../../../functions/src/adapters/edge-store/emulator.ts';
import { blobStoreContract, edgeStoreContract } from '../../support/contracts.ts';

// The adapters `npm start` uses, against the emulator; the same cases run on the in-memory fakes.
edgeStoreContract('emulator (S3 objects edge-kvs/<host>)', () => new EmulatorEdgeStore());
blobStoreContract('S3 (blobs/<teamId>/<sha256>)', () => new S3BlobStore());
