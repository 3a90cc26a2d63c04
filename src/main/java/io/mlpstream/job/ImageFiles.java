package io.mlpstream.job;

import io.mlpstream.avro.ImageEvent;
import io.mlpstream.core.image.ImageFormat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A user's image files as {@link ImageEvent}s: one event per PNG or JPEG file, the format sniffed from the bytes (never
 * from the name), its id the file's name, or its path below a directory that was given.
 */
public final class ImageFiles {
    private ImageFiles() {}

    /** A file and the event id it gets. */
    public record ImageFile(Path path, String id) {}

    /**
     * The files of {@code arguments}, in order: a file as itself, a directory as every file below it in name order
     * (hidden ones left out), its id the relative path with '/'. A non-empty {@code idPrefix} goes before each id,
     * joined with '-'.
     *
     * @throws ConfigException for an argument that is neither a file nor a directory, or when there are no files
     */
    public static List<ImageFile> list(List<String> arguments, String idPrefix) {
        List<ImageFile> files = new ArrayList<>();
        for (String argument : arguments) {
            Path path = Path.of(argument);
            if (Files.isRegularFile(path)) {
                files.add(new ImageFile(path, id(idPrefix, path.getFileName().toString())));
            } else if (Files.isDirectory(path)) {
                try (Stream<Path> walk = Files.walk(path)) {
                    walk.filter(Files::isRegularFile)
                            .filter(p -> !hidden(path.relativize(p)))
                            .sorted()
                            .forEach(p -> files.add(new ImageFile(p, id(idPrefix, path.relativize(p).toString().replace('\\', '/')))));
                } catch (IOException e) {
                    throw new UncheckedIOException("Cannot list " + path, e);
                }
            } else {
                throw new ConfigException(path + " is neither an image file nor a directory of them.");
            }
        }
        if (files.isEmpty()) {
            throw new ConfigException("No files in " + String.join(", ", arguments) + ".");
        }
        return files;
    }

    /**
     * The file's event, or empty when its bytes are neither PNG nor JPEG. Capture time = the file's modification time.
     */
    public static Optional<ImageEvent> event(ImageFile file, String source, Map<String, String> attributes) {
        try {
            byte[] image = Files.readAllBytes(file.path());
            Optional<ImageFormat> format = ImageFormat.sniff(image);
            if (format.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(ImageEvent.newBuilder()
                    .setEventId(file.id())
                    .setSource(source)
                    .setCaptureTime(Files.getLastModifiedTime(file.path()).toInstant())
                    .setContentType(format.get() == ImageFormat.PNG ? "image/png" : "image/jpeg")
                    .setImage(ByteBuffer.wrap(image))
                    .setModelName(null)
                    .setAttributes(new LinkedHashMap<>(attributes))
                    .build());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file.path(), e);
        }
    }

    private static boolean hidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private static String id(String prefix, String name) {
        return prefix.isEmpty() ? name : prefix + "-" + name;
    }
}
