package io.mlpstream.sql;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.ValidationException;
import org.apache.flink.util.ExceptionUtils;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Flink SQL script as the SQL Client runs one: statements end with {@code ;} (outside quotes and comments), {@code
 * SET 'key' = 'value';} sets a session option, {@code EXECUTE STATEMENT SET BEGIN ... END;} submits its INSERTs as one
 * job, every other statement goes to {@link TableEnvironment#executeSql}.
 *
 * <p>{@code ${key}} in a statement is replaced by the session option {@code key} (set by an earlier {@code SET}, or
 * given from outside with {@code fixed}, which wins over the script's own {@code SET}): one script serves a laptop and a
 * test broker alike. Every error is one line naming the script, the statement's line and the reason.
 */
public final class SqlScript {
    private static final Pattern SET = Pattern.compile("(?is)SET\\s+'((?:[^']|'')*)'\\s*=\\s*'((?:[^']|'')*)'");
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]+)}");
    private static final Pattern STATEMENT_SET = Pattern.compile("(?is)EXECUTE\\s+STATEMENT\\s+SET\\s+BEGIN\\b.*");

    /** One statement and the line it starts on. */
    public record Statement(String sql, int line) {}

    private final String name;
    private final List<Statement> statements;

    private SqlScript(String name, List<Statement> statements) {
        this.name = name;
        this.statements = List.copyOf(statements);
    }

    /** @param name the script's file name, for messages */
    public static SqlScript parse(String name, String text) {
        return new SqlScript(name, split(name, text));
    }

    public List<Statement> statements() {
        return statements;
    }

    /**
     * Runs the statements in order on {@code tEnv}, after setting the {@code fixed} session options (which the script's
     * own {@code SET}s do not override). Returns the results of the statements that submitted a job, in order.
     */
    public List<TableResult> run(TableEnvironment tEnv, Map<String, String> fixed) {
        Configuration session = tEnv.getConfig().getConfiguration();
        fixed.forEach(session::setString);
        List<TableResult> jobs = new ArrayList<>();
        for (Statement s : statements) {
            Matcher set = SET.matcher(s.sql());
            if (set.matches()) {
                String key = unquote(set.group(1));
                if (!fixed.containsKey(key)) {
                    session.setString(key, resolve(s, unquote(set.group(2)), session));
                }
                continue;
            }
            String sql = resolve(s, s.sql(), session);
            TableResult result;
            try {
                result = tEnv.executeSql(sql);
            } catch (RuntimeException e) {
                throw new SqlScriptException(where(s) + ": " + reason(e), e);
            }
            if (result.getJobClient().isPresent()) {
                jobs.add(result);
            }
        }
        return jobs;
    }

    private String resolve(Statement s, String sql, Configuration session) {
        Matcher m = PLACEHOLDER.matcher(sql);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String key = m.group(1).strip();
            String value = session.toMap().get(key);
            if (value == null) {
                throw new SqlScriptException(where(s) + ": ${" + key + "} is not set; SET '" + key + "' = '...'; earlier in "
                        + "the script, or give it from outside (e.g. --set " + key + "=...).");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(value));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private String where(Statement s) {
        return name + ", statement at line " + s.line();
    }

    /**
     * The message that says what is wrong, on one line: that of the innermost {@link ValidationException} (the planner
     * wraps a factory's one-line reason in messages of its own), else the outermost message; and the root cause, if
     * another exception lies below it.
     */
    static String reason(Throwable e) {
        Throwable reason = null;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ValidationException && t.getMessage() != null) {
                reason = t;
            }
        }
        String message = reason != null ? reason.getMessage() : String.valueOf(e.getMessage());
        Throwable root = ExceptionUtils.stripExecutionException(reason != null ? reason : e);
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != (reason != null ? reason : e)) {
            message += " Caused by: " + root;
        }
        // Flink's own messages may span lines (lists of options); one line, like ours
        return message.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    private static String unquote(String quoted) {
        return quoted.replace("''", "'");
    }

    /** Splits on ';' outside quotes and comments, keeping EXECUTE STATEMENT SET BEGIN ... END together. */
    static List<Statement> split(String name, String text) {
        List<Statement> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        int line = 1;
        int startLine = -1;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            char next = i + 1 < text.length() ? text.charAt(i + 1) : 0;
            if (quote == 0 && c == '-' && next == '-') {
                while (i < text.length() && text.charAt(i) != '\n') {
                    i++;
                }
                line++;
                current.append('\n');
                continue;
            }
            if (quote == 0 && c == '/' && next == '*') {
                int end = text.indexOf("*/", i + 2);
                if (end < 0) {
                    throw new SqlScriptException(name + ", line " + line + ": a /* comment is never closed.");
                }
                String comment = text.substring(i, end + 2);
                int lines = (int) comment.chars().filter(ch -> ch == '\n').count();
                line += lines;
                current.append("\n".repeat(lines)).append(' ');
                i = end + 1;
                continue;
            }
            if (c == '\n') {
                line++;
            }
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"' || c == '`') {
                quote = c;
            } else if (c == ';') {
                String sql = current.toString().strip();
                if (STATEMENT_SET.matcher(sql).matches()
                        && !sql.substring(sql.lastIndexOf(';') + 1).strip().equalsIgnoreCase("END")) {
                    current.append(c); // inside EXECUTE STATEMENT SET BEGIN ... END;
                    continue;
                }
                if (!sql.isEmpty()) {
                    out.add(new Statement(sql, startLine));
                }
                current.setLength(0);
                startLine = -1;
                continue;
            }
            if (startLine < 0 && !Character.isWhitespace(c)) {
                startLine = line;
            }
            current.append(c);
        }
        if (quote != 0) {
            throw new SqlScriptException(name + ", statement at line " + startLine + ": a " + quote + " quote is never closed.");
        }
        String rest = current.toString().strip();
        if (!rest.isEmpty()) {
            throw new SqlScriptException(name + ", statement at line " + startLine + ": the last statement does not end with ';'.");
        }
        return out;
    }

    /** A statement that failed or a script that cannot be read; the message is one line. */
    public static final class SqlScriptException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        SqlScriptException(String message) {
            super(message);
        }

        SqlScriptException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
