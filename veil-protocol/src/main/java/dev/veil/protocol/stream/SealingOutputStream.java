package dev.veil.protocol.stream;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * An {@link OutputStream} that encrypts into one {@link SegmentedAead} stream. {@link #close()} writes the final
 * segment and closes the underlying stream; {@link #finish()} writes it and leaves the underlying stream open (to
 * write several streams one after the other).
 */
public final class SealingOutputStream extends FilterOutputStream {

    private final StreamSealer sealer;
    private boolean finished;

    public SealingOutputStream(OutputStream out, byte[] key, byte[] aad) {
        super(out);
        this.sealer = new StreamSealer(key, aad, bytes -> {
            try {
                out.write(bytes);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        try {
            sealer.update(b, off, len);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Writes the final segment without closing the underlying stream. */
    public void finish() throws IOException {
        if (finished) {
            return;
        }
        finished = true;
        try {
            sealer.finish();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        out.flush();
    }

    /** Plaintext bytes written so far. */
    public long plaintextBytes() {
        return sealer.plaintextBytes();
    }

    @Override
    public void flush() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        try {
            finish();
        } finally {
            out.close();
        }
    }
}
