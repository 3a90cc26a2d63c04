package io.mlpstream.job;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.TopicDescription;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * What a job reads, as Kafka itself names it: the cluster's id, the topic's name and the topic's id, with the job's
 * consumer group and whether it stops at the end of the input. A topic deleted and created again, or the same name on
 * another cluster (e.g. a fresh broker on the same address), gets another identity: offsets kept in a checkpoint taken
 * on the old one mean nothing for the new one. Another consumer group, or a bounded run after an unbounded one (whose
 * restored reads would never stop), is another job reading it.
 */
final class InputTopicIdentity {
    private static final Logger LOG = LoggerFactory.getLogger(InputTopicIdentity.class);

    private InputTopicIdentity() {}

    /**
     * {@code <cluster id>/<topic>/<topic id> group=<group> bounded=<true|false>}, or empty (and one log line) when Kafka
     * does not say.
     */
    static Optional<String> of(InferenceJobSpec spec) {
        Properties props = ClientProperties.of(spec.kafkaBootstrapServers(), spec.kafkaProperties());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        try (Admin admin = Admin.create(props)) {
            String cluster = admin.describeCluster().clusterId().get(20, TimeUnit.SECONDS);
            TopicDescription topic = admin.describeTopics(List.of(spec.kafkaInputTopic())).allTopicNames()
                    .get(20, TimeUnit.SECONDS).get(spec.kafkaInputTopic());
            return Optional.of(cluster + "/" + spec.kafkaInputTopic() + "/" + topic.topicId() + " group=" + spec.kafkaGroupId()
                    + " bounded=" + spec.kafkaBounded());
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            LOG.warn("Could not read the identity of kafka.input-topic={} on {} ({}): a retained checkpoint is resumed "
                    + "without checking it was taken on this topic", spec.kafkaInputTopic(), spec.kafkaBootstrapServers(),
                    e.toString());
            return Optional.empty();
        }
    }
}
