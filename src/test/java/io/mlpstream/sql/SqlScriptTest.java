package io.mlpstream.sql;

import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Splitting a script into statements as the SQL Client does, SET, ${key}, and one-line errors with the line. */
class SqlScriptTest {

    @Test
    void statementsEndWithASemicolonOutsideQuotesAndComments() {
        String text = """
                -- a comment; with a semicolon
                SET 'a' = 'x;y';
                /* a block
                   comment; */
                CREATE TABLE t (s STRING COMMENT 'it''s; fine') WITH ('connector' = 'datagen');

                EXECUTE STATEMENT SET BEGIN
                  INSERT INTO u SELECT * FROM t;
                  INSERT INTO v SELECT * FROM t;
                END;
                """;
        List<SqlScript.Statement> statements = SqlScript.parse("s.sql", text).statements();
        assertThat(statements).extracting(SqlScript.Statement::line).containsExactly(2, 5, 7);
        assertThat(statements.get(0).sql()).isEqualTo("SET 'a' = 'x;y'");
        assertThat(statements.get(1).sql()).endsWith("WITH ('connector' = 'datagen')").contains("'it''s; fine'");
        assertThat(statements.get(2).sql()).startsWith("EXECUTE STATEMENT SET BEGIN").endsWith("END")
                .contains("INSERT INTO u SELECT * FROM t;").contains("INSERT INTO v SELECT * FROM t;");
    }

    @Test
    void unterminatedScriptsAreRefusedWithTheLine() {
        assertThatThrownBy(() -> SqlScript.parse("s.sql", "SET 'a' = 'b';\n\nSELECT 1"))
                .hasMessage("s.sql, statement at line 3: the last statement does not end with ';'.");
        assertThatThrownBy(() -> SqlScript.parse("s.sql", "SELECT 'x;\n"))
                .hasMessage("s.sql, statement at line 1: a ' quote is never closed.");
    }

    @Test
    void placeholdersAreSessionOptionsAndOptionsFromOutsideWin() {
        TableEnvironment tEnv = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        SqlScript script = SqlScript.parse("s.sql", """
                SET 'kafka.input-topic' = 'images';
                SET 'kafka.bootstrap-servers' = 'localhost:9092';
                CREATE TABLE t (s STRING) WITH ('connector' = 'datagen', 'fields.s.length' = '${length}');
                CREATE TABLE u (s STRING) WITH ('connector' = 'blackhole', 'topic' = '${kafka.input-topic}',
                  'servers' = '${kafka.bootstrap-servers}');
                """);
        script.run(tEnv, Map.of("length", "3", "kafka.bootstrap-servers", "broker:9093"));
        assertThat(tEnv.getConfig().getConfiguration().toMap())
                .containsEntry("kafka.input-topic", "images")
                .containsEntry("kafka.bootstrap-servers", "broker:9093");
        String u = tEnv.executeSql("SHOW CREATE TABLE u").collect().next().getField(0).toString();
        assertThat(u).contains("'topic' = 'images'").contains("'servers' = 'broker:9093'");
        assertThat(tEnv.executeSql("SHOW CREATE TABLE t").collect().next().getField(0).toString())
                .contains("'fields.s.length' = '3'");
    }

    @Test
    void aFailingStatementIsOneLineWithItsLine() {
        TableEnvironment tEnv = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        assertThatThrownBy(() -> SqlScript.parse("s.sql", "SET 'a' = 'b';\n\nCREATE TABLE v (s STRNG) WITH ('connector' = 'datagen');")
                .run(tEnv, Map.of()))
                .isInstanceOf(SqlScript.SqlScriptException.class)
                .hasMessageStartingWith("s.sql, statement at line 3: ")
                .hasMessageContaining("STRNG")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    @Test
    void aPlaceholderThatIsNotSetIsRefused() {
        TableEnvironment tEnv = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        assertThatThrownBy(() -> SqlScript.parse("s.sql", "\nCREATE TABLE t (s STRING) WITH ('connector' = '${connector}');")
                .run(tEnv, Map.of()))
                .hasMessage("s.sql, statement at line 2: ${connector} is not set; SET 'connector' = '...'; earlier in the "
                        + "script, or give it from outside (e.g. --set connector=...).");
    }
}
