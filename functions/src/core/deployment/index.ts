/**
 * Deployments: `Deployment.create/submit/get/list/transition/cancel/redeploy`, the state machine
 * (`Deployment.TRANSITIONS`), and the schemas of the API.
 */
export * as Deployment from './deployment.ts';
export * from './schema.ts';
export * from './files.ts';
