/**
 * Deployments: `Deployment.create/get/list/transition/sourceOf/isFinal`, the state machine
 * (`Deployment.TRANSITIONS`), and the schemas of the API.
 */
export * as Deployment from './deployment.ts';
export * from './schema.ts';
export * from './files.ts';
export type * from './repository.ts';
