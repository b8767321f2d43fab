import { CodeBuildClient, StartBuildCommand, StopBuildCommand } from '@aws-sdk/client-codebuild';
import * as z from 'zod';
import type { BuildScheduler } from '#core/ports';

const Env = z.object({
  /** The CodeBuild project of the builds stack. */
  RUNWAY_BUILD_PROJECT: z.string().min(1),
  /** Public base URL of this API; builds call its /v1/builds routes. */
  RUNWAY_API_URL: z.url(),
});

let client: CodeBuildClient | undefined;

/**
 * Starts and stops one CodeBuild build per deployment. The build gets only its deployment id, the
 * build API URL and its capability token; the job itself (with env values) is fetched by the
 * build, so no secret sits in the build's recorded environment beyond the token, which dies with
 * the build.
 */
export class CodeBuildScheduler implements BuildScheduler {
  private env: z.infer<typeof Env> | undefined;

  async start(build: { deploymentId: string; token: string }): Promise<{ buildId: string; logStream: string }> {
    this.env ??= Env.parse(process.env);
    client ??= new CodeBuildClient({});
    const { build: started } = await client.send(
      new StartBuildCommand({
        projectName: this.env.RUNWAY_BUILD_PROJECT,
        idempotencyToken: build.deploymentId,
        environmentVariablesOverride: [
          { name: 'RUNWAY_DEPLOYMENT_ID', value: build.deploymentId, type: 'PLAINTEXT' },
          { name: 'RUNWAY_UPLOAD_URL', value: `${this.env.RUNWAY_API_URL.replace(/\/$/, '')}/v1/builds/${build.deploymentId}`, type: 'PLAINTEXT' },
          { name: 'RUNWAY_UPLOAD_TOKEN', value: build.token, type: 'PLAINTEXT' },
        ],
      }),
    );
    if (!started?.id) throw new Error('CodeBuild returned no build id');
    // CodeBuild names the log stream after the build id's UUID part.
    return { buildId: started.id, logStream: started.id.split(':').at(-1) ?? started.id };
  }

  async stop(build: { deploymentId: string; buildId: string }): Promise<void> {
    client ??= new CodeBuildClient({});
    await client.send(new StopBuildCommand({ id: build.buildId })).catch((error: Error) => {
      // A build that already ended cannot be stopped; that is what we wanted anyway.
      if (error.name !== 'InvalidInputException') throw error;
    });
  }
}
