package dev.veil.app;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.util.LogbackMDCAdapter;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** The logging set-up in code: found by logback, stderr only, never an exception's message or stack trace. */
class LogConfiguratorTest {

    @Test
    void logbackFindsItThroughTheServiceLoader() {
        assertThat(ServiceLoader.load(Configurator.class).stream().map(ServiceLoader.Provider::type))
                .contains(LogConfigurator.class);
    }

    @Test
    void theLevelComesFromVeilLogLevelAndDefaultsToInfo() {
        assertThat(LogConfigurator.level(null)).isEqualTo(Level.INFO);
        assertThat(LogConfigurator.level(" ")).isEqualTo(Level.INFO);
        assertThat(LogConfigurator.level("trace")).isEqualTo(Level.TRACE);
        assertThat(LogConfigurator.level("WARN")).isEqualTo(Level.WARN);
        assertThat(LogConfigurator.level("loud")).isEqualTo(Level.INFO);
    }

    @Test
    void librariesLogOnlyWarningsUnlessALevelIsChosen() {
        assertThat(LogConfigurator.libraryLevel(null)).isEqualTo(Level.WARN);
        assertThat(LogConfigurator.libraryLevel("")).isEqualTo(Level.WARN);
        assertThat(LogConfigurator.libraryLevel("debug")).isEqualTo(Level.DEBUG);
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter());
        PrintStream err = System.err;
        try {
            System.setErr(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            LogConfigurator configurator = new LogConfigurator();
            configurator.setContext(context);
            configurator.configure(context);
            if (System.getenv(LogConfigurator.LEVEL_VARIABLE) == null) {
                assertThat(context.getLogger("io.vertx.core.impl.VertxImpl").isInfoEnabled()).isFalse();
                assertThat(context.getLogger("com.zaxxer.hikari.HikariDataSource").isWarnEnabled()).isTrue();
                assertThat(context.getLogger("dev.veil.gateway.Gateway").isInfoEnabled()).isTrue();
            }
        } finally {
            context.stop();
            System.setErr(err);
        }
    }

    @Test
    void logsGoToStderrWithoutExceptionMessagesOrStackTraces() {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream capturedOut = new ByteArrayOutputStream();
        ByteArrayOutputStream capturedErr = new ByteArrayOutputStream();
        LoggerContext context = new LoggerContext();
        context.setMDCAdapter(new LogbackMDCAdapter()); // logback's own bootstrap sets one; a bare context has none
        try {
            System.setOut(new PrintStream(capturedOut, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(capturedErr, true, StandardCharsets.UTF_8));
            LogConfigurator configurator = new LogConfigurator();
            configurator.setContext(context);
            assertThat(configurator.configure(context)).isEqualTo(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);
            context.getLogger("dev.veil.test").error("upstream failed: {}", "IllegalStateException",
                    new IllegalStateException("canary-7f3a in an exception message"));
            context.getLogger("dev.veil.test").debug("below the default level");
        } finally {
            context.stop();
            System.setOut(out);
            System.setErr(err);
        }
        String logged = capturedErr.toString(StandardCharsets.UTF_8);
        assertThat(logged).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z ERROR dev.veil.test - "
                + "upstream failed: IllegalStateException\\R");
        assertThat(logged).doesNotContain("canary-7f3a").doesNotContain("at dev.veil");
        assertThat(capturedOut.toString(StandardCharsets.UTF_8)).isEmpty();
    }
}
