import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildRunway, type RunwayStacks } from '../../infra/lib/app.ts';

export interface Synthesized {
  stacks: RunwayStacks;
  outdir: string;
  templates: Record<keyof RunwayStacks, Template>;
  /** Paths of the synthesized CloudFormation templates. */
  templateFiles: string[];
  /** cdk-nag's report, from the cloud assembly. */
  validationReport: unknown;
}

let cached: Synthesized | undefined;

/**
 * Synthesizes the whole app once per test file, the way `cdk synth` does (same context from
 * cdk.json), but without bundling the Lambda code, which the assertions do not need.
 */
export function synthRunway(): Synthesized {
  if (cached) return cached;
  const cdkJson = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../cdk.json'), 'utf8'));
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'runway-cdk-'));
  const app = new App({ outdir, context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] } });
  const stacks = buildRunway(app);
  const assembly = app.synth();
  const templates = Object.fromEntries(
    Object.entries(stacks).map(([k, stack]) => [k, Template.fromStack(stack)]),
  ) as Synthesized['templates'];
  const reportFile = path.join(outdir, 'validation-report.json');
  cached = {
    stacks,
    outdir,
    templates,
    templateFiles: assembly.stacks.map((s) => path.join(outdir, s.templateFile)),
    validationReport: fs.existsSync(reportFile) ? JSON.parse(fs.readFileSync(reportFile, 'utf8')) : undefined,
  };
  return cached;
}
