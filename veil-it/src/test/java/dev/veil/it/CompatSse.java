package dev.veil.it;

import java.util.ArrayList;
import java.util.List;

/** Splits a complete server-sent event stream into the payloads of its {@code data:} fields, one per event. */
final class CompatSse {

    private CompatSse() {
    }

    static List<String> dataPayloads(String stream) {
        List<String> out = new ArrayList<>();
        for (String event : stream.replace("\r\n", "\n").split("\n\n")) {
            StringBuilder data = null;
            for (String line : event.split("\n")) {
                if (line.startsWith("data:")) {
                    String value = line.substring(5);
                    if (value.startsWith(" ")) {
                        value = value.substring(1);
                    }
                    data = data == null ? new StringBuilder(value) : data.append('\n').append(value);
                }
            }
            if (data != null) {
                out.add(data.toString());
            }
        }
        return out;
    }
}
