package com.example.photos;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.reader.BulkFormat;
import org.apache.flink.connector.file.src.util.CheckpointedPosition;
import org.apache.flink.connector.file.src.util.SingletonResultIterator;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.fs.Path;

import java.io.IOException;

/**
 * Reads each file as ONE {@link Photo} (its path and all its bytes), for Flink's {@code FileSource}. Flink has no
 * whole-file format; a bulk format, unlike a stream format, sees the split and so the file's path. Files are not
 * split; a checkpoint taken after a file's photo was emitted resumes past it.
 */
public final class PhotoFormat implements BulkFormat<Photo, FileSourceSplit> {
    private static final long serialVersionUID = 1L;

    @Override
    public Reader<Photo> createReader(Configuration config, FileSourceSplit split) {
        return new PhotoReader(split.path(), false);
    }

    @Override
    public Reader<Photo> restoreReader(Configuration config, FileSourceSplit split) {
        boolean emitted = split.getReaderPosition().map(p -> p.getRecordsAfterOffset() > 0).orElse(false);
        return new PhotoReader(split.path(), emitted);
    }

    @Override
    public boolean isSplittable() {
        return false;
    }

    @Override
    public TypeInformation<Photo> getProducedType() {
        return TypeInformation.of(Photo.class);
    }

    private static final class PhotoReader implements BulkFormat.Reader<Photo> {
        private final Path path;
        private boolean emitted;

        PhotoReader(Path path, boolean emitted) {
            this.path = path;
            this.emitted = emitted;
        }

        @Override
        public RecordIterator<Photo> readBatch() throws IOException {
            if (emitted) {
                return null;
            }
            emitted = true;
            byte[] bytes;
            try (FSDataInputStream in = path.getFileSystem().open(path)) {
                bytes = in.readAllBytes();
            }
            SingletonResultIterator<Photo> photo = new SingletonResultIterator<>();
            photo.set(new Photo(path.toString(), bytes), CheckpointedPosition.NO_OFFSET, 1);
            return photo;
        }

        @Override
        public void close() {}
    }
}
