package com.example.photos;

/** One image file: where it came from and its encoded bytes (PNG or JPEG). A Flink POJO. */
public class Photo {
    private String path;
    private byte[] bytes;

    public Photo() {}

    public Photo(String path, byte[] bytes) {
        this.path = path;
        this.bytes = bytes;
    }

    public String getPath() {
        return path;
    }

    public void setPath(String path) {
        this.path = path;
    }

    public byte[] getBytes() {
        return bytes;
    }

    public void setBytes(byte[] bytes) {
        this.bytes = bytes;
    }

    /** The file's name, without its folder. */
    public String fileName() {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    @Override
    public String toString() {
        return "Photo{" + path + ", " + (bytes == null ? 0 : bytes.length) + " bytes}";
    }
}
