package io.mlpstream.job.format;

import java.util.Locale;

/** An Avro field's SQL column name: its camelCase name in snake_case ({@code eventId} is {@code event_id}). */
final class ColumnNames {
    private ColumnNames() {}

    static String of(String avroField) {
        StringBuilder sb = new StringBuilder(avroField.length() + 4);
        for (int i = 0; i < avroField.length(); i++) {
            char c = avroField.charAt(i);
            if (Character.isUpperCase(c)) {
                if (i > 0) {
                    sb.append('_');
                }
                sb.append(Character.toLowerCase(c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString().toLowerCase(Locale.ROOT);
    }
}
