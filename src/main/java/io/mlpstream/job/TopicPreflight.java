package io.mlpstream.job;

import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.util.TimeUtils;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Checks, before the job is submitted, that the broker answers, the four topics exist and (exactly-once) the brokers
 * accept the sinks' transaction timeout, so a mistyped topic or address, or a timeout above the brokers'
 * {@code transaction.max.timeout.ms}, is one clear line instead of a job that idles or restarts forever. Reads the output
 * topics' {@code max.message.bytes}: the {@link RecordSizeLimits} the job's serializers keep every record within.
 */
public final class TopicPreflight {
    private static final Logger LOG = LoggerFactory.getLogger(TopicPreflight.class);
    private static final String MAX_MESSAGE_BYTES = "max.message.bytes";

    private TopicPreflight() {}

    /** Checks the broker and topics; returns the largest record each sink may write. */
    public static RecordSizeLimits check(InferenceJobSpec spec) {
        Map<String, Object> props = new HashMap<>(spec.kafkaProperties());
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, spec.kafkaBootstrapServers());
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 15_000);
        Set<String> existing;
        OptionalLong brokerMaxTxMs = OptionalLong.empty();
        Map<String, Integer> maxMessageBytes = Map.of();
        String unreadable = null;
        try (Admin admin = Admin.create(props)) {
            existing = new TreeSet<>(admin.listTopics().names().get(20, TimeUnit.SECONDS));
            if (spec.kafkaDeliveryGuarantee() == DeliveryGuarantee.EXACTLY_ONCE) {
                brokerMaxTxMs = transactionMaxTimeoutMs(admin);
            }
            List<String> outputs = List.of(spec.kafkaResultsTopic(), spec.kafkaDeadLetterTopic(), spec.kafkaMetricsTopic());
            if (existing.containsAll(outputs)) {
                try {
                    maxMessageBytes = maxMessageBytes(admin, outputs);
                } catch (ExecutionException e) {
                    // typically a TopicAuthorizationException: the job's principal may lack DescribeConfigs on the topics
                    unreadable = e.getCause().getClass().getSimpleName() + ": " + firstLine(e.getCause());
                }
            }
        } catch (TimeoutException e) {
            throw new ConfigException("Kafka at " + spec.kafkaBootstrapServers() + " did not answer within 20 s: check "
                    + "kafka.bootstrap-servers and that the broker is up (and reachable from here).");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof SslAuthenticationException) {
                throw new ConfigException("TLS handshake with Kafka at " + spec.kafkaBootstrapServers() + " failed: "
                        + firstLine(e.getCause()) + " Check that kafka.properties.ssl.truststore.location (and "
                        + "ssl.truststore.password) trust the broker's certificate and that kafka.bootstrap-servers is its SSL listener.");
            }
            if (e.getCause() instanceof AuthenticationException) {
                throw new ConfigException("Kafka at " + spec.kafkaBootstrapServers() + " rejected the job's credentials: "
                        + firstLine(e.getCause()) + " Check the username and password in kafka.properties.sasl.jaas.config "
                        + "(and kafka.properties.sasl.mechanism=" + spec.kafkaProperties().getOrDefault("sasl.mechanism", "GSSAPI")
                        + ") against the user on the broker.");
            }
            if (e.getCause() instanceof org.apache.kafka.common.errors.TimeoutException) {
                throw new ConfigException("Kafka at " + spec.kafkaBootstrapServers() + " did not answer: check kafka.bootstrap-servers, "
                        + "that the broker is up and reachable from here, and kafka.properties.security.protocol.");
            }
            throw new ConfigException("Kafka at " + spec.kafkaBootstrapServers() + " refused the topic listing: "
                    + e.getCause().getMessage() + " (check kafka.bootstrap-servers and kafka.properties.* security settings).");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConfigException("Interrupted while checking the Kafka topics.");
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new ConfigException("Cannot connect to Kafka at " + spec.kafkaBootstrapServers() + ": " + e.getMessage());
        }
        List<String> missing = new ArrayList<>();
        check(existing, "kafka.input-topic", spec.kafkaInputTopic(), missing);
        check(existing, "kafka.results-topic", spec.kafkaResultsTopic(), missing);
        check(existing, "kafka.dead-letter-topic", spec.kafkaDeadLetterTopic(), missing);
        check(existing, "kafka.metrics-topic", spec.kafkaMetricsTopic(), missing);
        if (!missing.isEmpty()) {
            throw new ConfigException(String.join("; ", missing) + " on " + spec.kafkaBootstrapServers() + ". Existing topics: "
                    + (existing.isEmpty() ? "(none)" : String.join(", ", existing))
                    + ". Create them or fix the option (set kafka.check-topics=false to skip this check).");
        }
        if (brokerMaxTxMs.isPresent() && spec.kafkaTransactionTimeout().toMillis() > brokerMaxTxMs.getAsLong()) {
            // otherwise every sink fails initTransactions at the first checkpoint (InvalidTxnTimeoutException) and the job
            // restarts forever
            throw new ConfigException("kafka.transaction-timeout=" + TimeUtils.formatWithHighestUnit(spec.kafkaTransactionTimeout())
                    + " is above the brokers' transaction.max.timeout.ms=" + brokerMaxTxMs.getAsLong() + " ("
                    + TimeUtils.formatWithHighestUnit(Duration.ofMillis(brokerMaxTxMs.getAsLong())) + ") on " + spec.kafkaBootstrapServers()
                    + ", so the sinks' transactions would be refused. Lower kafka.transaction-timeout (keep it well above "
                    + "job.checkpoint-interval=" + TimeUtils.formatWithHighestUnit(spec.jobCheckpointInterval())
                    + ") or raise transaction.max.timeout.ms on the brokers.");
        }
        return recordSizeLimits(spec, maxMessageBytes, unreadable);
    }

    /** The limits from the topics' {@code max.message.bytes}; Kafka's default, said in one log line, if unreadable. */
    static RecordSizeLimits recordSizeLimits(InferenceJobSpec spec, Map<String, Integer> maxMessageBytes, String unreadable) {
        if (unreadable != null) {
            LOG.warn("Cannot read {} of the output topics on {} ({}); assuming Kafka's default {} bytes per record, so a "
                            + "topic configured lower would refuse an oversized dead letter or result and fail the job. "
                            + "Grant the job's principal DescribeConfigs on the topics to have their limits read.",
                    MAX_MESSAGE_BYTES, spec.kafkaBootstrapServers(), unreadable, RecordSizeLimits.KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
            return RecordSizeLimits.assumed(spec.kafkaProperties(), "the topics' configs could not be read");
        }
        checkAtLeastMinimum("kafka.results-topic", spec.kafkaResultsTopic(), maxMessageBytes);
        checkAtLeastMinimum("kafka.dead-letter-topic", spec.kafkaDeadLetterTopic(), maxMessageBytes);
        checkAtLeastMinimum("kafka.metrics-topic", spec.kafkaMetricsTopic(), maxMessageBytes);
        return RecordSizeLimits.of(spec.kafkaProperties(), maxMessageBytes.get(spec.kafkaResultsTopic()),
                maxMessageBytes.get(spec.kafkaDeadLetterTopic()), maxMessageBytes.get(spec.kafkaMetricsTopic()),
                "the topics' " + MAX_MESSAGE_BYTES + " and the producer's max.request.size");
    }

    private static void checkAtLeastMinimum(String option, String topic, Map<String, Integer> maxMessageBytes) {
        int max = maxMessageBytes.get(topic);
        if (max < RecordSizeLimits.MIN_RECORD_BYTES) {
            throw new ConfigException(option + "=" + topic + " accepts records of at most " + max + " bytes (" + MAX_MESSAGE_BYTES
                    + "), below the " + RecordSizeLimits.MIN_RECORD_BYTES + " the job may need for one (a dead letter's headers, "
                    + "a result's labels); raise the topic's " + MAX_MESSAGE_BYTES + ".");
        }
    }

    /** Each topic's {@code max.message.bytes}: its own, or the brokers' {@code message.max.bytes} it inherits. */
    private static Map<String, Integer> maxMessageBytes(Admin admin, List<String> topics)
            throws ExecutionException, InterruptedException, TimeoutException {
        List<ConfigResource> resources = new ArrayList<>();
        topics.stream().distinct().forEach(topic -> resources.add(new ConfigResource(ConfigResource.Type.TOPIC, topic)));
        Map<String, Integer> limits = new HashMap<>();
        admin.describeConfigs(resources).all().get(20, TimeUnit.SECONDS).forEach((resource, config) -> {
            ConfigEntry entry = config.get(MAX_MESSAGE_BYTES);
            limits.put(resource.name(), entry == null || entry.value() == null
                    ? RecordSizeLimits.KAFKA_DEFAULT_MAX_MESSAGE_BYTES : Integer.parseInt(entry.value()));
        });
        return limits;
    }

    /**
     * The smallest {@code transaction.max.timeout.ms} of the cluster's brokers, or empty when they cannot be read (the job's
     * credentials may lack DescribeConfigs on the cluster): then the check is skipped, not failed.
     */
    private static OptionalLong transactionMaxTimeoutMs(Admin admin) throws ExecutionException, InterruptedException, TimeoutException {
        List<ConfigResource> brokers = new ArrayList<>();
        for (Node node : admin.describeCluster().nodes().get(20, TimeUnit.SECONDS)) {
            brokers.add(new ConfigResource(ConfigResource.Type.BROKER, node.idString()));
        }
        Map<ConfigResource, Config> configs;
        try {
            configs = admin.describeConfigs(brokers).all().get(20, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return OptionalLong.empty(); // typically an AuthorizationException: a best-effort check, the topics are confirmed
        }
        return configs.values().stream()
                .map(config -> config.get("transaction.max.timeout.ms"))
                .filter(entry -> entry != null && entry.value() != null)
                .mapToLong(entry -> Long.parseLong(entry.value()))
                .min();
    }

    /** The exception's message up to its first line break, ending with a full stop: part of a one-line message. */
    private static String firstLine(Throwable t) {
        String m = String.valueOf(t.getMessage()).lines().findFirst().orElse("").strip();
        return m.endsWith(".") ? m : m + ".";
    }

    private static void check(Set<String> existing, String option, String topic, List<String> missing) {
        if (!existing.contains(topic)) {
            missing.add(option + "=" + topic + " does not exist");
        }
    }
}
