import { dynamoDbRepositories } from '../../../functions/src/adapters/db/dynamodb/index.ts';
import type { Repositories } from '../../../functions/src/core/context.ts';
import { repositoryContract } from '../../support/repository-contracts.ts';

// The DynamoDB repositories against the emulator's table; the same cases run on the in-memory twins.
repositoryContract('DynamoDB (ElectroDB)', () => Object.fromEntries(Object.entries(dynamoDbRepositories).map(([k, make]) => [k, (make as () => unknown)()])) as unknown as Repositories);
