package io.mlpstream.testutils;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Captures every log line of this JVM at INFO and above (Flink, the Kafka clients, our code; with
 * stack traces) while open, so a test can scan them, e.g. for secrets. The console keeps printing
 * WARN and above only. {@link #close()} restores the logging configuration.
 */
public final class CapturedLogs implements AutoCloseable {
    private static final String NAME = "captured-logs";
    private static final List<String> RAISED_TO_INFO = List.of("", "org.apache.kafka", "org.apache.flink");

    private final LoggerContext context;
    private final ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
    private final Appender appender;
    private final Map<String, Level> previousLevels = new HashMap<>();
    private final Map<String, Appender> rootAppenders;

    public CapturedLogs() {
        context = (LoggerContext) LogManager.getContext(false);
        Configuration config = context.getConfiguration();
        appender = new AbstractAppender(NAME, null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                StringBuilder line = new StringBuilder()
                        .append(event.getLevel()).append(' ').append(event.getLoggerName()).append(' ')
                        .append(event.getMessage().getFormattedMessage());
                if (event.getThrown() != null) {
                    StringWriter trace = new StringWriter();
                    event.getThrown().printStackTrace(new PrintWriter(trace));
                    line.append('\n').append(trace);
                }
                lines.add(line.toString());
            }
        };
        appender.start();
        LoggerConfig root = config.getRootLogger();
        rootAppenders = new HashMap<>(root.getAppenders());
        rootAppenders.keySet().forEach(root::removeAppender);
        rootAppenders.values().forEach(a -> root.addAppender(a, Level.WARN, null));
        root.addAppender(appender, null, null);
        for (String name : RAISED_TO_INFO) {
            LoggerConfig logger = config.getLoggerConfig(name);
            if (logger.getName().equals(name)) {
                previousLevels.put(name, logger.getLevel());
                if (logger.getLevel().isMoreSpecificThan(Level.INFO)) {
                    logger.setLevel(Level.INFO);
                }
            }
        }
        context.updateLoggers();
    }

    /** The lines captured so far (message plus stack trace, if any). */
    public List<String> lines() {
        return new ArrayList<>(lines);
    }

    /** The captured lines that contain {@code text}. */
    public List<String> linesContaining(String text) {
        return lines.stream().filter(l -> l.contains(text)).toList();
    }

    @Override
    public void close() {
        Configuration config = context.getConfiguration();
        LoggerConfig root = config.getRootLogger();
        root.removeAppender(NAME);
        rootAppenders.keySet().forEach(root::removeAppender);
        rootAppenders.values().forEach(a -> root.addAppender(a, null, null));
        previousLevels.forEach((name, level) -> config.getLoggerConfig(name).setLevel(level));
        context.updateLoggers();
        appender.stop();
    }
}
