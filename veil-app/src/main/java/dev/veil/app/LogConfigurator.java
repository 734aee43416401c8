package dev.veil.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * Veil's logging set-up, found by logback through {@code META-INF/services}: one console appender on stderr; the level
 * from {@code VEIL_LOG_LEVEL}, or by default INFO for Veil's own loggers and WARN for libraries.
 *
 * <p>In code rather than {@code logback.xml} because reading XML loaded about 500 classes (logback's Joran and the
 * JDK's XML parser) that stayed in the gateway's metaspace for its whole life: resident memory the benchmark counts
 * (docs/benchmarks.md).
 *
 * <p>Logs go to stderr so stdout stays clean for command output (the demo's {@code VEIL_API_KEY} line). The pattern
 * ends in {@code %nopex}: exception messages and stack traces are never printed, because an exception message may
 * quote input (parsers) or an upstream's error text; Veil's own code logs exception class names only.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogConfigurator extends ContextAwareBase implements Configurator {

    /** The environment variable that sets the root level: TRACE, DEBUG, INFO, WARN, ERROR or OFF. */
    public static final String LEVEL_VARIABLE = "VEIL_LOG_LEVEL";

    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSX,UTC} %-5level %logger{30} - %msg%n%nopex";

    /** Called by logback's ServiceLoader. */
    public LogConfigurator() {
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();

        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();

        String chosen = System.getenv(LEVEL_VARIABLE);
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(libraryLevel(chosen));
        root.addAppender(stderr);
        context.getLogger(VEIL_LOGGERS).setLevel(level(chosen));
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** The loggers of Veil's own code. */
    static final String VEIL_LOGGERS = "dev.veil";

    /**
     * The level of every library (Vert.x, Netty, the JDBC pool, ...): WARN unless {@code VEIL_LOG_LEVEL} names a level,
     * which then applies to everything. Libraries' INFO lines say nothing a Veil user acts on, and a command such as
     * {@code veil keys create} should print its result, not a connection pool's start-up.
     */
    static Level libraryLevel(String value) {
        return value == null || value.isBlank() ? Level.WARN : level(value);
    }

    /** The level a {@code VEIL_LOG_LEVEL} value names; INFO when it is unset or names no level. */
    static Level level(String value) {
        return value == null || value.isBlank() ? Level.INFO : Level.toLevel(value.trim(), Level.INFO);
    }
}
