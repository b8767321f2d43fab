/** Custom domains: ownership proof, status machine, edge entries (`Domain.add/verify/checkAll…`). */
export * as Domain from './domain.ts';
export * from './name.ts';
export * from './schema.ts';
export type * from './repository.ts';
