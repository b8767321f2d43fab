/**
 * Build commands for frameworks whose server output needs more than their own build script:
 *
 * - **Next.js** (server output, i.e. no `output: 'export'`) is built by the Vercel CLI's
 *   `vercel build`, which runs `next build` and turns `.next` into Build Output API v3
 *   (`.vercel/output`) with Vercel's own `@vercel/next` builder — the same adapter a Vercel
 *   deployment uses, so routes, prerenders, RSC and server actions come out as Vercel's platform
 *   expects them. It runs offline: `vercel build` needs no token when `.vercel/project.json` holds the
 *   project settings (vercel/vercel packages/cli/src/commands/build/index.ts reads them with
 *   `readProjectSettings` and only pulls from the API when they are missing), so the command writes
 *   that file first. `--standalone` copies every traced file into its `.func` directory instead of
 *   listing it in `filePathMap`, so each function is self-contained.
 * - **Nuxt** builds with Nitro's `vercel` preset (https://nitro.build/deploy/providers/vercel). On
 *   Vercel Nitro picks it by itself, seeing Vercel's `VERCEL=1` build variable (std-env's provider
 *   detection; vercel/vercel's frameworks.ts sets nothing Nitro-specific); Runway names the preset
 *   with Nitro's own `NITRO_PRESET` instead of claiming to be Vercel to every tool of the build.
 * - SvelteKit (`@sveltejs/adapter-vercel`) and Astro (`@astrojs/vercel`) need nothing: their own build
 *   writes `.vercel/output`.
 *
 * The additions live in the command (a `/bin/sh -c` string, visible in the build log as run) rather
 * than in the pipeline, so detection stays the one place that decides how a project is built.
 */

/**
 * The Vercel CLI version Runway runs. 58.10.0 is the newest major that installs from this
 * installation's npm registry (newer majors do not); Runway depends on it exactly (`npm i -E
 * vercel@58.10.0`), so local builds find it on PATH, and builders without it fetch this exact
 * version with `npx` — never `vercel@latest`, whose output format may change under a deployment.
 */
export const VERCEL_CLI_VERSION = '58.10.0';

/** `.vercel/project.json` as `vercel pull` writes it (vercel/vercel packages/cli/src/util/projects/project-settings.ts). */
export interface VercelProjectJson {
  projectId: string;
  orgId: string;
  settings: {
    framework: 'nextjs';
    /** `''`: the builder has installed dependencies already; @vercel/next skips its install then. */
    installCommand: string;
    /** null: the project's `build` script, else `next build` (@vercel/next's default). */
    buildCommand: string | null;
    outputDirectory: null;
    rootDirectory: null;
    devCommand: null;
    commandForIgnoringBuildStep: null;
    nodeVersion: string;
  };
}

/**
 * The project settings `vercel build` reads for a Next.js project.
 * @param buildCommand the project's Build Command override, or null for the default
 * @param projectId/orgId placeholders: `vercel build` only checks that they are there
 */
export function vercelProjectJson(buildCommand: string | null, ids: { projectId?: string; orgId?: string } = {}): VercelProjectJson {
  return {
    projectId: ids.projectId ?? 'prj_runway',
    orgId: ids.orgId ?? 'team_runway',
    settings: {
      framework: 'nextjs',
      installCommand: '',
      buildCommand,
      outputDirectory: null,
      rootDirectory: null,
      devCommand: null,
      commandForIgnoringBuildStep: null,
      nodeVersion: '22.x',
    },
  };
}

/**
 * The shell command that builds a Next.js project with `vercel build`.
 * @param options.hasVercelCli whether a `vercel` binary is on the builder's PATH (the local
 *   platform's devDependency); otherwise the pinned version runs through `npx`
 * @param options.buildCommand the project's Build Command override (null: the default)
 * @returns e.g. `mkdir -p .vercel && printf '%s' '{…}' > .vercel/project.json && VERCEL_TELEMETRY_DISABLED=1 vercel build --yes --standalone`
 */
export function nextBuildCommand(options: { hasVercelCli: boolean; buildCommand: string | null }): string {
  const cli = options.hasVercelCli ? 'vercel' : `npx --yes vercel@${VERCEL_CLI_VERSION}`;
  const project = JSON.stringify(vercelProjectJson(options.buildCommand));
  return [
    'mkdir -p .vercel',
    `printf '%s' ${shellQuote(project)} > .vercel/project.json`,
    // No telemetry, no update check: the build talks to no Vercel service.
    `VERCEL_TELEMETRY_DISABLED=1 NO_UPDATE_NOTIFIER=1 ${cli} build --yes --standalone`,
  ].join(' && ');
}

/**
 * The command that builds a Nuxt project with Nitro's `vercel` preset, unless the project's env
 * names another preset (a project's own `NITRO_PRESET` wins, as it does over Nitro's detection on Vercel).
 */
export function nuxtBuildCommand(buildCommand: string): string {
  return `NITRO_PRESET="\${NITRO_PRESET:-vercel}" ${buildCommand}`;
}

/** `it's` → `'it'\''s'`: one POSIX shell word, whatever it contains. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
