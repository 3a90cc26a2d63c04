package io.mlpstream.sql;

import org.apache.flink.api.dag.Transformation;
import org.apache.flink.streaming.api.operators.async.AsyncWaitOperatorFactory;
import org.apache.flink.streaming.api.transformations.OneInputTransformation;
import org.apache.flink.table.api.EnvironmentSettings;
import org.apache.flink.table.api.TableEnvironment;
import org.apache.flink.table.api.internal.TableEnvironmentImpl;
import org.apache.flink.table.operations.ModifyOperation;
import org.apache.flink.table.operations.Operation;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The mlpstream model provider as the real planner uses it, planned but not run: a model the provider can serve
 * becomes Flink's async operator (AsyncWaitOperator, whose state holds the rows in flight), and everything the provider
 * cannot serve is refused at planning time with one line that names the option or column and the fix.
 */
class MlpstreamModelProviderFactoryTest {
    private static final String GOOD_OUTPUT = "label STRING, score FLOAT, top_k ARRAY<ROW<label STRING, score FLOAT>>";
    private static final AtomicInteger MODELS = new AtomicInteger();
    private static TableEnvironment tEnv;

    @BeforeAll
    static void createTables() {
        tEnv = TableEnvironment.create(EnvironmentSettings.inStreamingMode());
        tEnv.executeSql("CREATE TABLE images (event_id STRING, image BYTES, caption STRING, sent_at TIMESTAMP_LTZ(3)) "
                + "WITH ('connector' = 'datagen')");
        tEnv.executeSql("CREATE TABLE sink (event_id STRING, caption STRING) WITH ('connector' = 'blackhole')");
    }

    /** A model of its own (a fresh name per call) with these INPUT, OUTPUT and extra options. */
    private static String model(String input, String output, String options) {
        String name = "m" + MODELS.incrementAndGet();
        tEnv.executeSql("CREATE TEMPORARY MODEL " + name + " INPUT (" + input + ") OUTPUT (" + output + ") WITH ("
                + "'provider' = 'mlpstream', 'model.name' = 'mixer-digits'" + (options.isEmpty() ? "" : ", " + options) + ")");
        return name;
    }

    private static String model(String options) {
        return model("image BYTES", GOOD_OUTPUT, options);
    }

    /** The transformations of INSERT INTO sink SELECT event_id, caption FROM ML_PREDICT(...) with that config MAP. */
    private static List<Transformation<?>> plan(String model, String descriptor, String map) {
        String sql = "INSERT INTO sink SELECT event_id, caption FROM ML_PREDICT(TABLE images, MODEL " + model + ", DESCRIPTOR("
                + descriptor + ")" + (map.isEmpty() ? "" : ", MAP[" + map + "]") + ")";
        TableEnvironmentImpl internal = (TableEnvironmentImpl) tEnv;
        List<ModifyOperation> modify = new ArrayList<>();
        for (Operation o : internal.getParser().parse(sql)) {
            modify.add((ModifyOperation) o);
        }
        return internal.getPlanner().translate(modify);
    }

    private static List<Transformation<?>> plan(String model, String map) {
        return plan(model, "image", map);
    }

    private static String refusal(Runnable planning) {
        Throwable[] thrown = new Throwable[1];
        assertThatThrownBy(planning::run).satisfies(t -> thrown[0] = t);
        String reason = SqlScript.reason(thrown[0]);
        assertThat(reason).as("one line").doesNotContain("\n");
        return reason;
    }

    private static String refusal(String model, String map) {
        return refusal(() -> plan(model, map));
    }

    @Test
    void aModelTheProviderServesRunsUnderFlinksAsyncOperator() {
        String m = model("'batch.max-size' = '8', 'batch.max-delay' = '5 ms', 'on-error' = 'null'");
        List<Transformation<?>> plan = plan(m, "'max-concurrent-operations', '24'");
        List<OneInputTransformation<?, ?>> predict = new ArrayList<>();
        for (Transformation<?> sink : plan) {
            for (Transformation<?> t : sink.getTransitivePredecessors()) {
                if (t instanceof OneInputTransformation<?, ?> one && t.getName().contains("MLPredict")) {
                    predict.add(one);
                }
            }
        }
        assertThat(predict).as("ML_PREDICT's transformation").hasSize(1);
        assertThat(predict.get(0).getOperatorFactory()).isInstanceOf(AsyncWaitOperatorFactory.class);
    }

    @Test
    void unknownOptionsAreRefusedWithTheClosestRealOne() {
        assertThat(refusal(model("'batch.max-sise' = '8'"), "")).isEqualTo(
                "Model '" + "m" + MODELS.get() + "': unknown option 'batch.max-sise' for provider 'mlpstream'; did you mean "
                        + "'batch.max-size'?");
    }

    @Test
    void theAsyncOperatorsOptionsArePointedAtMLPredictsMap() {
        assertThat(refusal(model("'async.timeout' = '1 min'"), ""))
                .contains("'async.timeout' is set per query in SQL")
                .contains("MAP['timeout', '1 min']")
                .contains("SET 'table.exec.async-ml-predict.timeout' = '1 min'");
        assertThat(refusal(model("'async.ordered' = 'false'"), ""))
                .contains("MAP['output-mode', 'ALLOW_UNORDERED']");
    }

    @Test
    void theModelNameIsRequired() {
        String name = "m" + MODELS.incrementAndGet();
        tEnv.executeSql("CREATE TEMPORARY MODEL " + name + " INPUT (image BYTES) OUTPUT (label STRING) WITH "
                + "('provider' = 'mlpstream')");
        assertThat(refusal(name, "")).contains("'model.name' is required");
    }

    @Test
    void badValuesAreRefusedByTheOperatorsOwnChecks() {
        assertThat(refusal(model("'batch.max-size' = '0'"), "")).contains("batch.max-size=0 is out of range");
        assertThat(refusal(model("'batch.max-delay' = 'soon'"), ""))
                .contains("Option 'batch.max-delay' has a value that is not valid");
        assertThat(refusal(model("'on-error' = 'skip'"), "")).contains("'on-error' must be 'fail' or 'null'");
        assertThat(refusal(model("'output.top-k' = '11'"), ""))
                .contains("output.top-k=11 asks for more labels than model 'mixer-digits' v1 has (10)");
    }

    @Test
    void aModelThatCannotBeLoadedIsRefusedAtPlanning() {
        String m = model("image BYTES", "label STRING", "'model.name' = 'no-such-model'");
        assertThat(refusal(m, "")).contains("no-such-model");
    }

    @Test
    void theInputMustBeTheImageAndOptionallyTheKafkaTimestamp() {
        assertThat(refusal(() -> plan(model("image STRING", "label STRING", ""), "caption", "")))
                .contains("INPUT column 'image' is STRING")
                .contains("declare it BYTES");
        assertThat(refusal(() -> plan(model("image BYTES, caption STRING", "label STRING", ""), "image, caption", "")))
                .contains("the second INPUT column is the record's Kafka timestamp");
        plan(model("image BYTES, sent_at TIMESTAMP_LTZ(3)", "label STRING, latency ROW<end_to_end_us BIGINT>",
                "'batch.max-size' = '2'"), "image, sent_at", "");
    }

    @Test
    void outputColumnsTheProviderCannotFillAreRefused() {
        assertThat(refusal(model("image BYTES", "lable STRING", ""), ""))
                .contains("OUTPUT column 'lable' is not one the mlpstream provider fills; did you mean 'label'?");
        assertThat(refusal(model("image BYTES", "label STRING, score DOUBLE", ""), ""))
                .contains("OUTPUT column 'score' is DOUBLE, but the provider fills it as FLOAT: declare score FLOAT.");
        assertThat(refusal(model("image BYTES", "top_k ARRAY<ROW<label STRING, probability FLOAT>>", ""), ""))
                .contains("OUTPUT column 'top_k' has field 'probability FLOAT'");
        assertThat(refusal(model("image BYTES", "label STRING, latency ROW<end_to_end_us BIGINT>", ""), ""))
                .contains("measured from the record's Kafka timestamp, which the model does not take");
        assertThat(refusal(model("image BYTES", "label STRING, error STRING", ""), ""))
                .contains("OUTPUT column 'error' is only filled with 'on-error' = 'null'");
        assertThat(refusal(model("image BYTES", "label STRING NOT NULL", "'on-error' = 'null'"), ""))
                .contains("OUTPUT column 'label' is NOT NULL");
    }

    @Test
    void anInFlightLimitTooSmallForTheBatchesIsRefusedWithTheLeastThatWorks() {
        // Flink's default table.exec.async-ml-predict.max-concurrent-operations is 10
        assertThat(refusal(model("'batch.max-size' = '32'"), ""))
                .contains("ML_PREDICT may hold 10 rows in flight per subtask, too few for batch.max-size=32 with "
                        + "batch.max-in-flight=2")
                .contains("MAP['max-concurrent-operations', '96']")
                .contains("SET 'table.exec.async-ml-predict.max-concurrent-operations' = '96'");
        plan(model("'batch.max-size' = '32'"), "'max-concurrent-operations', '96'");
        assertThat(refusal(model("'batch.max-size' = '2', 'batch.max-delay' = '5 s'"), "'timeout', '2 s'"))
                .contains("ML_PREDICT's timeout of 2 s must exceed batch.max-delay=5 s");
    }
}
