package dev.fastchat.client;

/**
 * A file shared in a message: what it is, not yet its bytes. Fetch it with {@link Files#fetch}.
 *
 * @param fileId the server's id of the encrypted file
 * @param name the name the sender gave it (untrusted: {@code fetch} makes it safe before saving)
 * @param mediaType the sender's idea of its type ({@code image/png}, ...)
 * @param width image width in pixels, 0 when unknown or not an image
 * @param height image height in pixels, 0 when unknown or not an image
 */
public record SharedFile(String fileId, String name, long size, String mediaType, int width, int height) {
    /** Whether the sender says it is an image. */
    public boolean image() {
        return mediaType.startsWith("image/");
    }
}
