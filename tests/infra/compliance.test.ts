import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, test } from 'vitest';
import { synthRunway } from './synth.ts';

describe('cdk-nag AwsSolutions', () => {
  test('every stack synthesizes with no unacknowledged finding', () => {
    const { validationReport } = synthRunway();
    expect(validationReport).toMatchObject({ pluginReports: [] });
  });

  test('the check is live: a noncompliant bucket fails synthesis', () => {
    const app = new App({ outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'runway-nag-')) });
    new Bucket(new Stack(app, 'Noncompliant'), 'Open');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
  });
});

describe('cfn-lint', () => {
  test('passes on every synthesized template', () => {
    const { templateFiles } = synthRunway();
    expect(templateFiles).toHaveLength(5);
    const run = spawnSync('cfn-lint', ['--', ...templateFiles], { encoding: 'utf8', cwd: path.resolve(import.meta.dirname, '../..') });
    expect(run.error, 'cfn-lint must be installed (pip install cfn-lint)').toBeUndefined();
    expect(run.stdout + run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
