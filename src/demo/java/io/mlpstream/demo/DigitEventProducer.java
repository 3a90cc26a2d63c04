package io.mlpstream.demo;

import io.mlpstream.avro.ImageEvent;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.annotation.Nullable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * Produces {@link ImageEvent}s of dataset digits (PNG) to a Kafka topic at a fixed rate, on a
 * thread it owns. Event k shows dataset image {@code k % size}; its id is
 * {@code <idPrefix>-<k / size>-<k % size>} ({@code digit-0-0}, ... by default) and is also the record key. Values are Avro single-object
 * encoded. {@link #close()} stops the thread and closes the Kafka producer.
 */
public final class DigitEventProducer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DigitEventProducer.class);

    public static final String SOURCE = "digits-demo";
    public static final String CONTENT_TYPE = "image/png";
    public static final String TRUE_LABEL_ATTRIBUTE = "trueLabel";
    public static final String DATASET_INDEX_ATTRIBUTE = "datasetIndex";
    public static final String DEFAULT_ID_PREFIX = "digit";
    /** {@link Builder#eventsPerSecond(double)} value for "as fast as possible". */
    public static final double UNLIMITED_RATE = 0;
    public static final String DEFAULT_LINGER_MS = "5";
    public static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);

    private final String topic;
    private final String idPrefix;
    private final DigitsDataset dataset;
    private final long numEvents;
    private final double eventsPerSecond;
    private final Function<Properties, Producer<String, byte[]>> producerFactory;
    private final Properties producerProperties;

    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicReference<Throwable> firstError = new AtomicReference<>();
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile long startNanos;
    private volatile long endNanos;
    private volatile boolean stopRequested;
    @Nullable private Thread thread;

    private DigitEventProducer(Builder b) {
        this.topic = b.topic;
        this.idPrefix = b.idPrefix;
        this.dataset = b.dataset;
        this.numEvents = b.numEvents;
        this.eventsPerSecond = b.eventsPerSecond;
        this.producerFactory = b.producerFactory;
        this.producerProperties = producerProperties(b);
    }

    public static Builder builder() {
        return new Builder();
    }

    private static Properties producerProperties(Builder b) {
        Properties props = new Properties();
        if (b.bootstrapServers != null) {
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, b.bootstrapServers);
        }
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "digit-event-producer");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, DEFAULT_LINGER_MS);
        b.producerProperties.forEach((key, value) -> {
            LOG.info("Digit event producer property {}={} (default: {})", key, value, props.getOrDefault(key, "Kafka's"));
            props.put(key, value);
        });
        return props;
    }

    /** Starts the producer thread; the PNGs are encoded there before the rate clock starts. */
    public synchronized DigitEventProducer start() {
        if (thread != null) {
            throw new IllegalStateException("DigitEventProducer for topic " + topic + " was already started");
        }
        thread = new Thread(this::run, "digit-event-producer-" + topic);
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    /** Waits until all events are sent and acknowledged (or failed), or the producer was stopped. */
    public boolean awaitCompletion(Duration timeout) throws InterruptedException {
        return finished.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    public Progress progress() {
        long start = startNanos;
        long end = endNanos != 0 ? endNanos : System.nanoTime();
        Duration elapsed = start == 0 ? Duration.ZERO : Duration.ofNanos(end - start);
        return new Progress(sent.get(), acked.get(), failed.get(), elapsed, finished.getCount() == 0, firstError.get());
    }

    /** Stops sending, waits for the thread (which flushes and closes the Kafka producer). Idempotent. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            t = thread;
        }
        stopRequested = true;
        if (t == null) {
            return;
        }
        LockSupport.unpark(t);
        try {
            t.join(CLOSE_TIMEOUT.toMillis() * 2);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (t.isAlive()) {
            LOG.warn("Digit event producer thread {} did not stop within {}", t.getName(), CLOSE_TIMEOUT.multipliedBy(2));
        }
    }

    private void run() {
        Producer<String, byte[]> producer = null;
        try {
            producer = producerFactory.apply(producerProperties);
            byte[][] pngs = encodePngs();
            FixedRatePacer pacer = new FixedRatePacer(eventsPerSecond, System::nanoTime);
            startNanos = System.nanoTime();
            pacer.start();
            for (long k = 0; k < numEvents && !stopRequested; k++) {
                long waitNanos;
                while ((waitNanos = pacer.nanosUntilNextPermit()) > 0 && !stopRequested) {
                    LockSupport.parkNanos(this, waitNanos);
                }
                if (stopRequested) {
                    break;
                }
                pacer.take();
                int index = (int) (k % dataset.size());
                ImageEvent event = event(k, dataset.label(index), pngs[index], Instant.now());
                producer.send(new ProducerRecord<>(topic, event.getEventId(), encode(event)), (metadata, error) -> {
                    if (error == null) {
                        acked.incrementAndGet();
                    } else {
                        failed.incrementAndGet();
                        firstError.compareAndSet(null, error);
                    }
                });
                sent.incrementAndGet();
            }
            endNanos = System.nanoTime();
            producer.flush();
        } catch (RuntimeException e) {
            firstError.compareAndSet(null, e);
            LOG.error("Digit event producer for topic {} failed after {} events", topic, sent.get(), e);
        } finally {
            if (producer != null) {
                try {
                    producer.close(CLOSE_TIMEOUT); // waits for outstanding acks
                } catch (RuntimeException e) {
                    firstError.compareAndSet(null, e);
                }
            }
            if (endNanos == 0) {
                endNanos = System.nanoTime();
            }
            finished.countDown();
            LOG.info("Digit event producer for topic {} done: {}", topic, progress());
        }
    }

    private byte[][] encodePngs() {
        byte[][] pngs = new byte[(int) Math.min(numEvents, dataset.size())][];
        for (int i = 0; i < pngs.length && !stopRequested; i++) {
            pngs[i] = dataset.png(i);
        }
        return pngs;
    }

    /** Event number {@code sequence} (from 0) of a producer cycling through a dataset of this size. */
    static ImageEvent event(long sequence, int datasetSize, int label, byte[] png, Instant captureTime) {
        return event(DEFAULT_ID_PREFIX, sequence, datasetSize, label, png, captureTime);
    }

    /** The same, with ids {@code <idPrefix>-<pass>-<index>}. */
    static ImageEvent event(String idPrefix, long sequence, int datasetSize, int label, byte[] png, Instant captureTime) {
        long pass = sequence / datasetSize;
        long index = sequence % datasetSize;
        Map<String, String> attributes = new LinkedHashMap<>();
        attributes.put(TRUE_LABEL_ATTRIBUTE, Integer.toString(label));
        attributes.put(DATASET_INDEX_ATTRIBUTE, Long.toString(index));
        return ImageEvent.newBuilder()
                .setEventId(idPrefix + "-" + pass + "-" + index)
                .setSource(SOURCE)
                .setCaptureTime(captureTime)
                .setContentType(CONTENT_TYPE)
                .setImage(ByteBuffer.wrap(png))
                .setModelName(null)
                .setAttributes(attributes)
                .build();
    }

    private ImageEvent event(long sequence, int label, byte[] png, Instant captureTime) {
        return event(idPrefix, sequence, dataset.size(), label, png, captureTime);
    }

    private static byte[] encode(ImageEvent event) {
        try {
            ByteBuffer buffer = event.toByteBuffer();
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("Avro encoding of " + event.getEventId() + " failed", e);
        }
    }

    /**
     * Counts since {@link #start()}; {@code elapsed} runs from the first send (after PNG encoding)
     * to the last send, or to now while sending.
     */
    public record Progress(long sent, long acked, long failed, Duration elapsed, boolean finished,
                           @Nullable Throwable firstError) {

        /** Events sent per second so far. */
        public double sendRatePerSecond() {
            long nanos = elapsed.toNanos();
            return nanos == 0 ? 0 : sent * 1e9 / nanos;
        }

        @Override
        public String toString() {
            return String.format("sent=%d acked=%d failed=%d in %d ms (%.1f/s)%s", sent, acked, failed,
                    elapsed.toMillis(), sendRatePerSecond(), firstError == null ? "" : ", first error: " + firstError);
        }
    }

    /** Builder: bootstrapServers, topic, dataset and numEvents are required. */
    public static final class Builder {
        @Nullable private String bootstrapServers;
        @Nullable private String topic;
        private String idPrefix = DEFAULT_ID_PREFIX;
        @Nullable private DigitsDataset dataset;
        private long numEvents = -1;
        private double eventsPerSecond = UNLIMITED_RATE;
        private final Map<String, String> producerProperties = new LinkedHashMap<>();
        private Function<Properties, Producer<String, byte[]>> producerFactory =
                props -> new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
        private boolean customProducer;

        private Builder() {}

        public Builder bootstrapServers(String bootstrapServers) {
            this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
            return this;
        }

        public Builder topic(String topic) {
            this.topic = Objects.requireNonNull(topic, "topic");
            return this;
        }

        /** Event ids are {@code <idPrefix>-<pass>-<index>}; default {@value #DEFAULT_ID_PREFIX}. */
        public Builder idPrefix(String idPrefix) {
            this.idPrefix = Objects.requireNonNull(idPrefix, "idPrefix");
            return this;
        }

        public Builder dataset(DigitsDataset dataset) {
            this.dataset = Objects.requireNonNull(dataset, "dataset");
            return this;
        }

        /** How many events to produce, cycling through the dataset; {@link Long#MAX_VALUE} until closed. */
        public Builder numEvents(long numEvents) {
            this.numEvents = numEvents;
            return this;
        }

        /** Target rate; {@link #UNLIMITED_RATE} (0, the default) for as fast as possible. */
        public Builder eventsPerSecond(double eventsPerSecond) {
            this.eventsPerSecond = eventsPerSecond;
            return this;
        }

        /** Any Kafka producer setting, overriding the defaults (acks=all, idempotence, linger 5 ms). Logged. */
        public Builder producerProperty(String key, String value) {
            producerProperties.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** For tests: where the Kafka producer comes from (gets the producer properties). */
        Builder producerFactory(Function<Properties, Producer<String, byte[]>> producerFactory) {
            this.producerFactory = Objects.requireNonNull(producerFactory, "producerFactory");
            this.customProducer = true;
            return this;
        }

        public DigitEventProducer build() {
            sanityCheck();
            return new DigitEventProducer(this);
        }

        private void sanityCheck() {
            if (bootstrapServers == null && !customProducer) {
                throw new IllegalArgumentException("DigitEventProducer needs bootstrapServers (e.g. 127.0.0.1:9092)");
            }
            if (topic == null || topic.isEmpty()) {
                throw new IllegalArgumentException("DigitEventProducer needs a topic name");
            }
            if (idPrefix.isEmpty()) {
                throw new IllegalArgumentException("DigitEventProducer needs a non-empty id prefix");
            }
            if (dataset == null || dataset.size() == 0) {
                throw new IllegalArgumentException("DigitEventProducer needs a dataset with at least one image, got "
                        + (dataset == null ? "none" : "an empty one"));
            }
            if (numEvents <= 0) {
                throw new IllegalArgumentException("numEvents must be positive (Long.MAX_VALUE to run until closed), got "
                        + numEvents);
            }
            if (!(eventsPerSecond >= 0) || Double.isInfinite(eventsPerSecond)) {
                throw new IllegalArgumentException("eventsPerSecond must be >= 0 (0 = as fast as possible), got "
                        + eventsPerSecond);
            }
        }
    }
}
