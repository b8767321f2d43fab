import { blobStoreContract, edgeStoreContract } from '../../support/contracts.ts';
import { InMemoryBlobStore, InMemoryEdgeStore } from '../../support/fakes.ts';

// The fakes unit tests use keep the ports' contracts, like the real adapters (tests/integration/adapters).
edgeStoreContract('in-memory', () => new InMemoryEdgeStore());
blobStoreContract('in-memory', () => new InMemoryBlobStore());
