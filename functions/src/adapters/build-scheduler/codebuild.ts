import { CodeBuildClient, StartBuildCommand, StopBuildCommand } from '@aws-sdk/client-codebuild';
import * as z from 'zod';
import { Build } from '#core/build/index';
import type { BuildScheduler, SchedulableDeployment } from '#core/ports';
import type { DeploymentInfo } from '#core/deployment/index';

const Env = z.object({
  /** The CodeBuild project of the builds stack. */
  RUNWAY_BUILD_PROJECT: z.string().min(1),
  /** Public base URL of this API; builds call its /v1/builds routes. */
  RUNWAY_API_URL: z.url(),
});

let client: CodeBuildClient | undefined;

/**
 * Starts one CodeBuild build per deployment. The build gets only its deployment id, the build API
 * URL and its capability token; the job itself (with env values) is fetched by the build, so no
 * secret sits in the build's recorded environment beyond the token, which dies with the build.
 */
export class CodeBuildScheduler implements BuildScheduler {
  private env: z.infer<typeof Env> | undefined;

  async schedule(deployment: SchedulableDeployment): Promise<void> {
    this.env ??= Env.parse(process.env);
    const { token } = await Build.prepare(deployment);
    client ??= new CodeBuildClient({});
    const { build } = await client.send(
      new StartBuildCommand({
        projectName: this.env.RUNWAY_BUILD_PROJECT,
        idempotencyToken: deployment.id,
        environmentVariablesOverride: [
          { name: 'RUNWAY_DEPLOYMENT_ID', value: deployment.id, type: 'PLAINTEXT' },
          { name: 'RUNWAY_UPLOAD_URL', value: `${this.env.RUNWAY_API_URL.replace(/\/$/, '')}/v1/builds/${deployment.id}`, type: 'PLAINTEXT' },
          { name: 'RUNWAY_UPLOAD_TOKEN', value: token, type: 'PLAINTEXT' },
        ],
      }),
    );
    if (!build?.id) throw new Error('CodeBuild returned no build id');
    // CodeBuild names the log stream after the build id's UUID part.
    await Build.attach(deployment.id, { buildId: build.id, logStream: build.id.split(':').at(-1) ?? build.id });
  }

  async cancel(deployment: DeploymentInfo): Promise<void> {
    const record = await Build.record(deployment.id);
    if (!record?.buildId) return;
    client ??= new CodeBuildClient({});
    await client.send(new StopBuildCommand({ id: record.buildId })).catch((error: Error) => {
      // A build that already ended cannot be stopped; that is what we wanted anyway.
      if (error.name !== 'InvalidInputException') throw error;
    });
  }
}
