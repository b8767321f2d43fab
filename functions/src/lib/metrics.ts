import { Metrics } from '@aws-lambda-powertools/metrics';

/** Powertools' Metrics (CloudWatch EMF), created once; the namespace comes from POWERTOOLS_METRICS_NAMESPACE set by the stack. */
export const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Runway' });
