import { memoryRepositories } from '../../../functions/src/adapters/db/memory/repositories.ts';
import { repositoryContract } from '../../support/repository-contracts.ts';

// The in-memory twins the domain's unit tests run on keep the repositories' contract, like the
// DynamoDB repositories do against the emulator (tests/integration/adapters/repositories.test.ts).
repositoryContract('in-memory', () => memoryRepositories());
