package io.mlpstream.testutils;

import org.apache.kafka.clients.consumer.ConsumerRecord;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What became of each expected event id in a topic keyed by event id (results read
 * {@code read_committed}): how many were delivered, which are missing, which came more than once
 * and which were never sent.
 */
public record DeliveryAudit(int expected, int delivered, List<String> missing, Map<String, Integer> duplicated,
                            List<String> unexpected) {

    public static DeliveryAudit of(Collection<String> expectedKeys, Collection<ConsumerRecord<byte[], byte[]>> records) {
        Set<String> expected = new LinkedHashSet<>(expectedKeys);
        Map<String, Integer> counts = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            counts.merge(r.key() == null ? "<null key>" : new String(r.key(), StandardCharsets.UTF_8), 1, Integer::sum);
        }
        List<String> missing = new ArrayList<>();
        for (String key : expected) {
            if (!counts.containsKey(key)) {
                missing.add(key);
            }
        }
        Map<String, Integer> duplicated = new TreeMap<>();
        List<String> unexpected = new ArrayList<>();
        counts.forEach((key, n) -> {
            if (n > 1) {
                duplicated.put(key, n);
            }
            if (!expected.contains(key)) {
                unexpected.add(key);
            }
        });
        return new DeliveryAudit(expected.size(), records.size(), missing, duplicated, unexpected);
    }

    public int lost() {
        return missing.size();
    }

    /** Deliveries beyond the first of each key. */
    public int duplicates() {
        return duplicated.values().stream().mapToInt(n -> n - 1).sum();
    }

    public boolean exactlyOnce() {
        return missing.isEmpty() && duplicated.isEmpty() && unexpected.isEmpty();
    }

    /** "20000 events, 0 lost, 0 duplicated" plus the first offenders when there are any. */
    @Override
    public String toString() {
        String s = expected + " events, " + lost() + " lost, " + duplicates() + " duplicated";
        if (!missing.isEmpty()) {
            s += "; missing e.g. " + missing.subList(0, Math.min(5, missing.size()));
        }
        if (!duplicated.isEmpty()) {
            s += "; duplicated e.g. " + duplicated.entrySet().stream().limit(5).toList();
        }
        if (!unexpected.isEmpty()) {
            s += "; " + unexpected.size() + " unexpected keys e.g. " + unexpected.subList(0, Math.min(5, unexpected.size()));
        }
        return s;
    }
}
