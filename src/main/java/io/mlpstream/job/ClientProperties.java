package io.mlpstream.job;

import org.apache.kafka.clients.CommonClientConfigs;

import java.util.Map;
import java.util.Properties;

/** Kafka client properties of the command-line tools: the bootstrap servers and the job's {@code kafka.properties.*}. */
final class ClientProperties {
    private ClientProperties() {}

    /** {@code kafkaProperties} (security settings and the like, as the job passes them through) and the servers. */
    static Properties of(String bootstrapServers, Map<String, String> kafkaProperties) {
        Properties props = new Properties();
        props.putAll(kafkaProperties);
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        return props;
    }
}
