package io.mlpstream.job;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Renders Kafka client properties for logs with every secret masked. */
final class KafkaPropertiesLog {
    private KafkaPropertiesLog() {}

    static boolean isSecret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password") || k.contains("secret") || k.contains("jaas") || k.contains("token")
                || k.contains("credential") || k.endsWith(".key") || k.contains("key.pem") || k.contains("keystore.key");
    }

    static String render(Map<String, String> props) {
        Map<String, String> shown = new TreeMap<>();
        props.forEach((k, v) -> shown.put(k, isSecret(k) ? "****" : v));
        return shown.toString();
    }
}
