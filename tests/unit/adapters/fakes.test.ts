import { artifactStoreContract, blobStoreContract, edgeStoreContract } from '../../support/contracts.ts';
import { InMemoryBlobStore, InMemoryEdgeStore } from '../../support/fakes.ts';
import { InMemoryArtifacts } from '../../support/memory-context.ts';

// The fakes unit tests use keep the ports' contracts, like the real adapters (tests/integration/adapters).
edgeStoreContract('in-memory', () => new InMemoryEdgeStore());
blobStoreContract('in-memory', () => new InMemoryBlobStore());
artifactStoreContract('in-memory', () => {
  const store = new InMemoryArtifacts();
  return { store, upload: async (put, bytes) => store.putDirect(put.url, bytes.toString('utf8')) };
});
