import { provideDefaults, type Context, type Logger, type Provided, type Settings } from '#core/context';
import { config } from '#lib/config';
import { logger } from '#lib/powertools';

/** The domain's settings, from the environment validated once (`config()`). */
export function settingsFromConfig(): Settings {
  const c = config();
  return {
    platformDomain: c.RUNWAY_PLATFORM_DOMAIN,
    rateLimitPerMinute: c.RUNWAY_RATE_LIMIT_PER_MINUTE,
    edgeScheme: c.RUNWAY_EDGE_SCHEME,
    edgePort: c.RUNWAY_EDGE_PORT,
    consoleUrl: c.RUNWAY_CONSOLE_URL,
    githubWebUrl: c.RUNWAY_GITHUB_WEB_URL,
  };
}

/** Powertools' logger, as the domain's `Logger`: one structured line per call, attributes as keys. */
const domainLogger: Logger = {
  debug: (message, attributes) => (attributes ? logger.debug(message, attributes) : logger.debug(message)),
  info: (message, attributes) => (attributes ? logger.info(message, attributes) : logger.info(message)),
  warn: (message, attributes) => (attributes ? logger.warn(message, attributes) : logger.warn(message)),
  error: (message, attributes) => (attributes ? logger.error(message, attributes) : logger.error(message)),
};

/**
 * Wires a Lambda entry point's context: settings from the environment (read on first use),
 * Powertools' logger, and `parts` — factories of exactly the repositories and adapters this
 * function uses, so its bundle holds no other (opennextjs-aws's lazily resolved overrides).
 * `npm start` and tests override parts with `override()` from core/context.
 */
export function wire(parts: Provided<Context>): void {
  provideDefaults({ settings: settingsFromConfig, logger: domainLogger, ...parts });
}
