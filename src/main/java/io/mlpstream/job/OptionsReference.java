package io.mlpstream.job;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.description.HtmlFormatter;
import org.apache.flink.util.TimeUtils;

import java.time.Duration;

/** The configuration reference generated from the option definitions: what {@code options} prints and the README holds. */
public final class OptionsReference {
    private OptionsReference() {}

    /** A Markdown table: option, default, description; one row per option of {@link InferenceJobOptions#all()}. */
    public static String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("| option | default | description |\n");
        sb.append("|---|---|---|\n");
        for (ConfigOption<?> o : InferenceJobOptions.all()) {
            Object def = !o.hasDefaultValue() ? ""
                    : o.defaultValue() instanceof Duration d ? TimeUtils.formatWithHighestUnit(d) : o.defaultValue();
            sb.append("| `").append(o.key()).append("` | `").append(def).append("` | ")
                    .append(new HtmlFormatter().format(o.description()).replace("|", "\\|")).append(" |\n");
        }
        sb.append("| `kafka.properties.<name>` | | Any Kafka client property, passed to source and sinks as is "
                + "(values may be `${env:NAME}` or `${file:/path}`; secrets are masked in logs). Under exactly-once the sinks' "
                + "producers default to `linger.ms=50` and `batch.size=262144`: results become visible at the checkpoint's "
                + "commit, which flushes them, so fuller batches cost no visible latency. |\n");
        return sb.toString();
    }
}
