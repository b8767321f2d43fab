import { provideDefaults, type Context, type Logger, type Provided, type Settings } from '#core/context';
import { config } from '#lib/config';
import { logger } from '#lib/powertools';

/**
 * The domain's settings, read from the environment validated once (`config()`, cached): each is
 * read when used, so `resetConfig()` (tests, `npm start` wiring the local edge) is seen at once.
 */
export const settingsFromConfig: Settings = {
  get platformDomain() {
    return config().RUNWAY_PLATFORM_DOMAIN;
  },
  get rateLimitPerMinute() {
    return config().RUNWAY_RATE_LIMIT_PER_MINUTE;
  },
  get edgeScheme() {
    return config().RUNWAY_EDGE_SCHEME;
  },
  get edgePort() {
    return config().RUNWAY_EDGE_PORT;
  },
  get consoleUrl() {
    return config().RUNWAY_CONSOLE_URL;
  },
  get githubWebUrl() {
    return config().RUNWAY_GITHUB_WEB_URL;
  },
};

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
