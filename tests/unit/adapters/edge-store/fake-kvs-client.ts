import {
  ConflictException,
  DeleteKeyCommand,
  DescribeKeyValueStoreCommand,
  GetKeyCommand,
  ListKeysCommand,
  PutKeyCommand,
  ResourceNotFoundException,
  ValidationException,
} from '@aws-sdk/client-cloudfront-keyvaluestore';
import type { KeyValueStoreClient } from '../../../../functions/src/adapters/edge-store/cloudfront-kvs.ts';

const metadata = { $metadata: { httpStatusCode: 409 } };

/**
 * In-memory CloudFront KeyValueStore API with the service's optimistic concurrency: every write
 * must name the store's current ETag and gets a new one back; a stale ETag is a ConflictException.
 * `concurrentWrites(n)` makes "another writer" change the store right before the next n writes.
 */
export function fakeKvsClient(arn: string) {
  const items = new Map<string, string>();
  let version = 0;
  let interfering = 0;
  const calls: string[] = [];
  const etag = () => `ETAG${version}`;
  const checkArn = (given: string | undefined) => {
    if (given !== arn) throw new ResourceNotFoundException({ message: 'Resource not found', $metadata: { httpStatusCode: 404 } });
  };
  const checkEtag = (ifMatch: string | undefined) => {
    if (interfering > 0) {
      interfering--;
      version++;
    }
    if (ifMatch !== etag()) throw new ConflictException({ message: 'Pre-condition failed', ...metadata });
  };

  const client: KeyValueStoreClient = {
    async send(command) {
      calls.push(command.constructor.name);
      await Promise.resolve(); // answer asynchronously, like the network
      if (command instanceof DescribeKeyValueStoreCommand) {
        checkArn(command.input.KvsARN);
        return { ETag: etag() };
      }
      if (command instanceof GetKeyCommand) {
        checkArn(command.input.KvsARN);
        const value = items.get(command.input.Key!);
        if (value === undefined) throw new ResourceNotFoundException({ message: 'Key not found', $metadata: { httpStatusCode: 404 } });
        return { Value: value };
      }
      if (command instanceof ListKeysCommand) {
        checkArn(command.input.KvsARN);
        const keys = [...items.keys()].sort();
        const from = command.input.NextToken ? Number(command.input.NextToken) : 0;
        const size = command.input.MaxResults ?? 10;
        const page = keys.slice(from, from + size);
        return { Items: page.map((Key) => ({ Key, Value: items.get(Key) })), ...(from + size < keys.length ? { NextToken: String(from + size) } : {}) };
      }
      if (command instanceof PutKeyCommand) {
        checkArn(command.input.KvsARN);
        checkEtag(command.input.IfMatch);
        if (Buffer.byteLength(command.input.Value!) > 1024) {
          throw new ValidationException({ message: 'Value too large', $metadata: { httpStatusCode: 400 } });
        }
        items.set(command.input.Key!, command.input.Value!);
        version++;
        return { ETag: etag() };
      }
      if (command instanceof DeleteKeyCommand) {
        checkArn(command.input.KvsARN);
        checkEtag(command.input.IfMatch);
        if (!items.delete(command.input.Key!)) {
          throw new ResourceNotFoundException({ message: 'Key not found', $metadata: { httpStatusCode: 404 } });
        }
        version++;
        return { ETag: etag() };
      }
      throw new Error(`fake KVS: unexpected command ${String(command)}`);
    },
  };
  return {
    client,
    items,
    calls,
    concurrentWrites(n: number) {
      interfering = n;
    },
  };
}
