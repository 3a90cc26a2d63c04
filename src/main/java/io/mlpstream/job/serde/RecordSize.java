package io.mlpstream.job.serde;

import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.RecordBatch;

/**
 * How many bytes a record takes against the limits of its topic ({@code max.message.bytes}) and producer ({@code
 * max.request.size}): the producer's own upper bound, a batch of this one record with key, value, headers and the
 * batch overhead, uncompressed (the producer refuses a record by this bound before compressing it).
 */
final class RecordSize {
    private RecordSize() {}

    static int of(byte[] key, byte[] value, Headers headers) {
        return AbstractRecords.estimateSizeInBytesUpperBound(
                RecordBatch.CURRENT_MAGIC_VALUE, CompressionType.NONE, key, value, headers.toArray());
    }
}
