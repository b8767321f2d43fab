#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { buildRunway } from '../lib/app.ts';

const app = new App();
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
buildRunway(app, account && region ? { account, region } : undefined);
app.synth();
