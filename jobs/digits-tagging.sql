-- Tag handwritten digits with the bundled MLP-Mixer in Flink SQL: the Kafka job's topics as tables, the model as a
-- CREATE MODEL, exactly once. The same pipeline as jobs/digits-tagging.yaml, with the same option names.
-- Run:   java -jar target/mlpstream-standalone.jar sql jobs/digits-tagging.sql
--   or:  flink run target/mlpstream-0.1.0-SNAPSHOT-job.jar sql jobs/digits-tagging.sql
-- ${key} is the session option 'key' (SET below); --set key=value on the command line wins over the SET here. In the
-- SQL Client, which has no ${...}, write the values in place.

-- The Kafka job's option names (see 'options'), so --set works the same for both jobs.
SET 'kafka.bootstrap-servers' = 'localhost:9092';
SET 'kafka.input-topic' = 'images';
SET 'kafka.results-topic' = 'tags';
SET 'kafka.dead-letter-topic' = 'dead-letter';
SET 'kafka.group-id' = 'digits-tagging-sql';
SET 'kafka.transactional-id-prefix' = 'digits-tagging-sql';
SET 'model.name' = 'mixer-digits';
SET 'model.device' = 'auto';
SET 'batch.max-size' = '32';
SET 'batch.max-delay' = '10 ms';
SET 'batch.max-in-flight' = '2';
SET 'output.top-k' = '3';
-- Flink's own options
SET 'pipeline.name' = 'digits tagging (SQL)';
SET 'execution.checkpointing.interval' = '5 s';
-- ML_PREDICT holds at most this many rows in flight per subtask (all of them in every checkpoint): at least
-- batch.max-size x (batch.max-in-flight + 1), or batches could never fill (the model refuses less).
SET 'table.exec.async-ml-predict.max-concurrent-operations' = '96';
-- results as soon as they are ready, not in input order (the async.ordered of the Kafka job)
SET 'table.exec.async-ml-predict.output-mode' = 'ALLOW_UNORDERED';

-- The input topic: Avro single-object encoded ImageEvents. Columns are the record's fields in snake_case (any of
-- them); the record's Kafka timestamp comes along for the latency breakdown, its coordinates for dead letters.
CREATE TABLE images (
  event_id STRING,
  source STRING,
  capture_time TIMESTAMP_LTZ(3),
  content_type STRING,
  image BYTES,
  attributes MAP<STRING, STRING>,
  kafka_timestamp TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL,
  kafka_topic STRING METADATA FROM 'topic' VIRTUAL,
  kafka_partition INT METADATA FROM 'partition' VIRTUAL,
  kafka_offset BIGINT METADATA FROM 'offset' VIRTUAL
) WITH (
  'connector' = 'kafka',
  'topic' = '${kafka.input-topic}',
  'properties.bootstrap.servers' = '${kafka.bootstrap-servers}',
  'properties.group.id' = '${kafka.group-id}',
  'properties.isolation.level' = 'read_committed',
  'scan.startup.mode' = 'group-offsets',
  'properties.auto.offset.reset' = 'earliest',
  'format' = 'mlpstream-avro',
  'mlpstream-avro.record' = 'ImageEvent'
);

-- The results topic: TaggedImages as the Kafka job writes them, keyed by event id, in Kafka transactions.
CREATE TABLE tags (
  event_id STRING,
  source STRING,
  capture_time TIMESTAMP_LTZ(3),
  model_name STRING,
  model_version STRING,
  model_sha256 STRING,
  labels ARRAY<ROW<label STRING, `index` INT, score FLOAT>>,
  latency ROW<kafka_to_ingest_us BIGINT, queue_wait_us BIGINT, preprocess_us BIGINT, inference_us BIGINT,
              end_to_end_us BIGINT>,
  batch_size INT,
  processed_at TIMESTAMP_LTZ(3),
  attributes MAP<STRING, STRING>
) WITH (
  'connector' = 'kafka',
  'topic' = '${kafka.results-topic}',
  'properties.bootstrap.servers' = '${kafka.bootstrap-servers}',
  'properties.transaction.timeout.ms' = '600000',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = '${kafka.transactional-id-prefix}',
  'key.format' = 'raw',
  'key.fields' = 'event_id',
  'value.format' = 'mlpstream-avro',
  'value.mlpstream-avro.record' = 'TaggedImage'
);

-- The dead-letter topic: the events whose image could not be tagged, with the mlpstream.errors.* headers the Kafka
-- job writes (where the event came from, the stage that failed and why).
CREATE TABLE dead_letters (
  event_id STRING,
  source STRING,
  capture_time TIMESTAMP_LTZ(3),
  content_type STRING,
  image BYTES,
  attributes MAP<STRING, STRING>,
  headers MAP<STRING, BYTES> METADATA
) WITH (
  'connector' = 'kafka',
  'topic' = '${kafka.dead-letter-topic}',
  'properties.bootstrap.servers' = '${kafka.bootstrap-servers}',
  'properties.transaction.timeout.ms' = '600000',
  'sink.delivery-guarantee' = 'exactly-once',
  'sink.transactional-id-prefix' = '${kafka.transactional-id-prefix}-dead-letters',
  'key.format' = 'raw',
  'key.fields' = 'event_id',
  'value.format' = 'mlpstream-avro',
  'value.mlpstream-avro.record' = 'ImageEvent'
);

-- The model: micro-batched ONNX Runtime inference, rows batched across ML_PREDICT calls. A row whose image cannot be
-- tagged comes out with NULL predictions and '<stage>: <reason>' in 'error' ('on-error' = 'null').

CREATE TEMPORARY MODEL digit_tagger
INPUT (image BYTES, kafka_timestamp TIMESTAMP_LTZ(3))
OUTPUT (
  model_name STRING,
  model_version STRING,
  model_sha256 STRING,
  top_k ARRAY<ROW<label STRING, `index` INT, score FLOAT>>,
  latency ROW<kafka_to_ingest_us BIGINT, queue_wait_us BIGINT, preprocess_us BIGINT, inference_us BIGINT,
              end_to_end_us BIGINT>,
  batch_size INT,
  processed_at TIMESTAMP_LTZ(3),
  error STRING
) WITH (
  'provider' = 'mlpstream',
  'model.name' = '${model.name}',
  'model.device' = '${model.device}',
  'batch.max-size' = '${batch.max-size}',
  'batch.max-delay' = '${batch.max-delay}',
  'batch.max-in-flight' = '${batch.max-in-flight}',
  'output.top-k' = '${output.top-k}',
  'on-error' = 'null'
);

CREATE TEMPORARY VIEW predictions AS
SELECT * FROM ML_PREDICT(TABLE images, MODEL digit_tagger, DESCRIPTOR(image, kafka_timestamp));

-- One job, one ML_PREDICT: results to the results topic, failures to the dead-letter topic.
EXECUTE STATEMENT SET BEGIN
  INSERT INTO tags
  SELECT event_id, source, capture_time, model_name, model_version, model_sha256, top_k, latency, batch_size,
         processed_at, attributes
  FROM predictions
  WHERE error IS NULL;

  INSERT INTO dead_letters
  SELECT event_id, source, capture_time, content_type, image, attributes,
         MAP['mlpstream.errors.topic', ENCODE(kafka_topic, 'UTF-8'),
             'mlpstream.errors.partition', ENCODE(CAST(kafka_partition AS STRING), 'UTF-8'),
             'mlpstream.errors.offset', ENCODE(CAST(kafka_offset AS STRING), 'UTF-8'),
             'mlpstream.errors.stage', ENCODE(SPLIT_INDEX(error, ':', 0), 'UTF-8'),
             'mlpstream.errors.exception.message', ENCODE(SUBSTRING(error FROM POSITION(': ' IN error) + 2), 'UTF-8')]
  FROM predictions
  WHERE error IS NOT NULL;
END;
