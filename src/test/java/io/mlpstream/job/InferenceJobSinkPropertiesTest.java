package io.mlpstream.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class InferenceJobSinkPropertiesTest {

    private static Properties sinkProperties(Map<String, String> options) {
        return InferenceJob.sinkProperties(InferenceJobSpec.from(JobConfig.load(null, options)));
    }

    @Test
    void exactlyOnceSinksBatchFullerByDefault() {
        Properties props = sinkProperties(Map.of("kafka.properties.acks", "all"));
        assertThat(props).containsEntry("linger.ms", "50").containsEntry("batch.size", "262144")
                .containsEntry("acks", "all");
    }

    @Test
    void kafkaPropertiesOverrideTheDefaults() {
        Properties props = sinkProperties(Map.of("kafka.properties.linger.ms", "0"));
        assertThat(props).containsEntry("linger.ms", "0").containsEntry("batch.size", "262144");
    }

    @Test
    void otherGuaranteesKeepKafkasDefaults() {
        for (String guarantee : new String[] {"at-least-once", "none"}) {
            Properties props = sinkProperties(Map.of("kafka.delivery-guarantee", guarantee));
            assertThat(props).as(guarantee).doesNotContainKeys("linger.ms", "batch.size");
        }
    }
}
