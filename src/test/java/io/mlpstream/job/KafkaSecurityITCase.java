package io.mlpstream.job;

import io.mlpstream.demo.DigitEventProducer;
import io.mlpstream.demo.DigitsDataset;
import io.mlpstream.demo.EmbeddedKafkaBroker;
import io.mlpstream.testutils.CapturedLogs;
import io.mlpstream.testutils.DeliveryAudit;
import io.mlpstream.testutils.FlinkMiniCluster;
import io.mlpstream.testutils.JobFixtures;
import io.mlpstream.testutils.KafkaBrokerExtension;
import io.mlpstream.testutils.KafkaTestUtils;

import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static io.mlpstream.testutils.JobFixtures.DEAD;
import static io.mlpstream.testutils.JobFixtures.INPUT;
import static io.mlpstream.testutils.JobFixtures.RESULTS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Kafka security passes through {@code kafka.properties.*} untouched: a broker whose client listener
 * is SASL_SSL with SCRAM-SHA-512 (self-signed certificate made with the JDK's keytool, SCRAM user
 * created with the Admin API), a job configured only through {@code kafka.properties.*} with the
 * password from {@code ${env:..}} and the truststore password from {@code ${file:..}}. Every event is
 * tagged; wrong credentials fail before submission with one actionable line; neither secret appears
 * in any log line (ours, Flink's, or the Kafka clients' config dumps, which print {@code [hidden]}).
 */
class KafkaSecurityITCase {
    private static final int EVENTS = JobFixtures.events(600);
    private static final String LISTENER = "SECURE";
    private static final String USER = "mlpstream-job";
    private static final String PASSWORD = "scram-" + UUID.randomUUID();
    private static final String STORE_PASSWORD = "store-" + UUID.randomUUID();
    private static final String PASSWORD_ENV = "MLPSTREAM_KAFKA_PASSWORD";

    @RegisterExtension
    static final MiniClusterExtension FLINK = FlinkMiniCluster.withFixedDelayRestarts(2, Duration.ofMillis(500));

    @TempDir
    static Path dir;

    @RegisterExtension
    static final KafkaBrokerExtension KAFKA = KafkaBrokerExtension.withTopics(2, JobFixtures.TOPICS)
            .configure(KafkaSecurityITCase::saslSslListener);

    private static Path truststore;
    private static Path storePasswordFile;

    /** The SASL_SSL listener: SCRAM-SHA-512 and a self-signed certificate made with the JDK's keytool. */
    private static void saslSslListener(EmbeddedKafkaBroker.Builder broker) throws Exception {
        Path keystore = dir.resolve("broker.p12");
        truststore = dir.resolve("truststore.p12");
        keytool("-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=" + EmbeddedKafkaBroker.HOST, "-ext", "SAN=IP:" + EmbeddedKafkaBroker.HOST,
                "-storetype", "PKCS12", "-keystore", keystore.toString(), "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD);
        Path cert = dir.resolve("broker.pem");
        keytool("-exportcert", "-rfc", "-alias", "broker", "-keystore", keystore.toString(), "-storetype", "PKCS12",
                "-storepass", STORE_PASSWORD, "-file", cert.toString());
        keytool("-importcert", "-noprompt", "-alias", "broker", "-file", cert.toString(), "-storetype", "PKCS12",
                "-keystore", truststore.toString(), "-storepass", STORE_PASSWORD);
        storePasswordFile = Files.writeString(dir.resolve("truststore-password"), STORE_PASSWORD + "\n");

        String prefix = "listener.name." + LISTENER.toLowerCase() + ".";
        broker.listener(LISTENER, "SASL_SSL")
                .brokerProperty("sasl.enabled.mechanisms", "SCRAM-SHA-512")
                .brokerProperty(prefix + "scram-sha-512.sasl.jaas.config",
                        "org.apache.kafka.common.security.scram.ScramLoginModule required;")
                .brokerProperty(prefix + "ssl.keystore.type", "PKCS12")
                .brokerProperty(prefix + "ssl.keystore.location", keystore.toString())
                .brokerProperty(prefix + "ssl.keystore.password", STORE_PASSWORD)
                .brokerProperty(prefix + "ssl.key.password", STORE_PASSWORD);
    }

    @BeforeAll
    static void createScramUser() throws Exception {
        Properties plain = new Properties();
        plain.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        try (Admin admin = Admin.create(plain)) {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(
                    USER, new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), PASSWORD))).all().get(30, TimeUnit.SECONDS);
        }
        awaitScramUser();
    }

    @Test
    void jobConfiguredOnlyByKafkaPropertiesTagsEveryEventAndLogsNoSecret() throws Exception {
        DigitsDataset digits = DigitsDataset.loadBundled();
        try (DigitEventProducer producer = DigitEventProducer.builder().bootstrapServers(KAFKA.bootstrapServers())
                .topic(INPUT).dataset(digits).numEvents(EVENTS).build().start()) {
            assertThat(producer.awaitCompletion(Duration.ofSeconds(60))).isTrue();
            assertThat(producer.progress().acked()).isEqualTo(EVENTS);
        }
        Map<String, String> options = secureJob("${env:" + PASSWORD_ENV + "}");
        long start = System.nanoTime();
        List<String> logLines;
        try (CapturedLogs logs = new CapturedLogs()) {
            InferenceJobSpec spec = InferenceJobSpec.from(JobConfig.load(null, options,
                    name -> name.equals(PASSWORD_ENV) ? PASSWORD : null));
            TopicPreflight.check(spec);
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            InferenceJob.build(env, spec);
            env.execute("sasl_ssl");
            logLines = logs.lines();
        }
        double seconds = (System.nanoTime() - start) / 1e9;

        List<ConsumerRecord<byte[], byte[]>> results = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), RESULTS, true);
        List<ConsumerRecord<byte[], byte[]>> dead = KafkaTestUtils.drainAllRecordsFromTopic(KAFKA.bootstrapServers(), DEAD, true);
        DeliveryAudit audit = DeliveryAudit.of(JobFixtures.digitEventIds(EVENTS, digits), results);
        List<String> leaks = new ArrayList<>();
        logLines.stream().filter(l -> l.contains(PASSWORD) || l.contains(STORE_PASSWORD)).forEach(leaks::add);
        long hiddenDumps = logLines.stream().filter(l -> l.contains("sasl.jaas.config = [hidden]")).count();
        System.out.printf("SASL_SSL/SCRAM-SHA-512: %s (%d dead letters, %.1f s); %d log lines scanned, %d with a secret, "
                + "%d Kafka client config dumps with sasl.jaas.config = [hidden]%n",
                audit, dead.size(), seconds, logLines.size(), leaks.size(), hiddenDumps);

        assertThat(dead).as("dead letters").isEmpty();
        assertThat(audit.exactlyOnce()).as("%s", audit).isTrue();
        assertThat(leaks).as("log lines containing the SCRAM or truststore password").isEmpty();
        assertThat(logLines).as("our pass-through line, masked")
                .anySatisfy(l -> assertThat(l).contains("Kafka client properties passed through")
                        .contains("sasl.jaas.config=****").contains("ssl.truststore.password=****"));
        assertThat(hiddenDumps).as("ProducerConfig/ConsumerConfig/AdminClientConfig dumps showing [hidden]").isPositive();
        assertThat(logLines).as("Kafka client config dumps that show the SCRAM mechanism (so the dumps were captured)")
                .anySatisfy(l -> assertThat(l).contains("ProducerConfig values").contains("sasl.mechanism = SCRAM-SHA-512"));
    }

    @Test
    void wrongPasswordFailsBeforeSubmissionWithOneActionableLine() {
        String wrong = "wrong-" + UUID.randomUUID();
        InferenceJobSpec spec = InferenceJobSpec.from(JobConfig.load(null, secureJob("${env:" + PASSWORD_ENV + "}"),
                name -> name.equals(PASSWORD_ENV) ? wrong : null));
        long start = System.nanoTime();
        assertThatThrownBy(() -> TopicPreflight.check(spec))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> {
                    System.out.printf("wrong password rejected in %.1f s: %s%n", (System.nanoTime() - start) / 1e9, e.getMessage());
                    assertThat(e.getMessage()).doesNotContain("\n").doesNotContain(wrong)
                            .contains(KAFKA.broker().bootstrapServers(LISTENER))
                            .contains("kafka.properties.sasl.jaas.config");
                });
    }

    @Test
    void untrustedBrokerCertificateFailsBeforeSubmissionWithOneActionableLine() throws Exception {
        Path otherKeystore = dir.resolve("other.p12");
        Path otherTruststore = dir.resolve("other-truststore.p12");
        keytool("-genkeypair", "-alias", "other", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2", "-dname", "CN=other",
                "-storetype", "PKCS12", "-keystore", otherKeystore.toString(), "-storepass", STORE_PASSWORD, "-keypass", STORE_PASSWORD);
        Path cert = dir.resolve("other.pem");
        keytool("-exportcert", "-rfc", "-alias", "other", "-keystore", otherKeystore.toString(), "-storetype", "PKCS12",
                "-storepass", STORE_PASSWORD, "-file", cert.toString());
        keytool("-importcert", "-noprompt", "-alias", "other", "-file", cert.toString(), "-storetype", "PKCS12",
                "-keystore", otherTruststore.toString(), "-storepass", STORE_PASSWORD);
        Map<String, String> options = secureJob("${env:" + PASSWORD_ENV + "}");
        options.put("kafka.properties.ssl.truststore.location", otherTruststore.toString());
        InferenceJobSpec spec = InferenceJobSpec.from(JobConfig.load(null, options, name -> PASSWORD));
        assertThatThrownBy(() -> TopicPreflight.check(spec))
                .isInstanceOf(ConfigException.class)
                .satisfies(e -> {
                    System.out.println("untrusted certificate: " + e.getMessage());
                    assertThat(e.getMessage()).doesNotContain("\n").doesNotContain(PASSWORD).doesNotContain(STORE_PASSWORD)
                            .contains("kafka.properties.ssl.truststore.location");
                });
    }

    @Test
    void cliRunWithAWrongPasswordFileExitsWithOneLine() throws IOException {
        String wrong = "wrong-" + UUID.randomUUID();
        Path passwordFile = Files.writeString(dir.resolve("wrong-password"), wrong);
        Path yaml = Files.writeString(dir.resolve("job.yaml"), "job:\n  name: sasl-wrong-password\n");
        List<String> args = new ArrayList<>(List.of("run", "--config", yaml.toString()));
        secureJob("${file:" + passwordFile + "}").forEach((k, v) -> args.addAll(List.of("--set", k + "=" + v)));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try (CapturedLogs logs = new CapturedLogs()) {
            code = new Cli(Cli.jobCommands()).run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            assertThat(logs.linesContaining(wrong)).as("log lines containing the wrong password").isEmpty();
        }
        String message = err.toString(StandardCharsets.UTF_8);
        System.out.print("cli: " + message);
        assertThat(code).isEqualTo(2);
        assertThat(message.strip()).startsWith("mlpstream: ").doesNotContain("\n").doesNotContain(wrong)
                .contains("kafka.properties.sasl.jaas.config");
    }

    /** Options of a bounded job that reaches the broker only through the SASL_SSL listener. */
    private static Map<String, String> secureJob(String passwordReference) {
        Map<String, String> o = JobFixtures.boundedJob(KAFKA.broker().bootstrapServers(LISTENER), "secure");
        o.put("kafka.group-id", "secure");
        o.put("metrics.window", "1 s");
        o.put("model.device", "cpu");
        o.put("kafka.properties.security.protocol", "SASL_SSL");
        o.put("kafka.properties.sasl.mechanism", "SCRAM-SHA-512");
        o.put("kafka.properties.sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                + "username=\"" + USER + "\" password=\"" + passwordReference + "\";");
        o.put("kafka.properties.ssl.truststore.type", "PKCS12");
        o.put("kafka.properties.ssl.truststore.location", truststore.toString());
        o.put("kafka.properties.ssl.truststore.password", "${file:" + storePasswordFile + "}");
        return o;
    }

    /** SCRAM credentials reach the broker's metadata cache shortly after the Admin call returns: polls for them. */
    private static void awaitScramUser() throws InterruptedException {
        Map<String, String> options = new LinkedHashMap<>(secureJob(PASSWORD));
        InferenceJobSpec spec = InferenceJobSpec.from(JobConfig.load(null, options));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                TopicPreflight.check(spec);
                return;
            } catch (ConfigException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("keytool finished").isTrue();
        assertThat(p.exitValue()).as("keytool %s: %s", args[0], output).isZero();
    }
}
