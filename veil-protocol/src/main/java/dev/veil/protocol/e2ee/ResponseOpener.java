package dev.veil.protocol.e2ee;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import javax.crypto.AEADBadTagException;
import org.bouncycastle.crypto.hpke.HPKEContext;

/**
 * The client side of one response, fed bytes as they arrive: decrypts frames in order with its own counter, so a
 * reordered, dropped, duplicated or tampered frame fails; refuses data after the final frame; {@link #end()} refuses a
 * body that stopped before its final frame. After any failure it stays failed.
 */
public final class ResponseOpener {

    /** What the response yields, in order. */
    public sealed interface Part permits Head, Chunk, Receipt {
    }

    /** The engine's status and content type. */
    public record Head(int status, String contentType) implements Part {
    }

    /** A body chunk: a whole answer, or one SSE event's bytes. {@code last} marks the final frame's chunk. */
    public record Chunk(byte[] data, boolean last) implements Part {
    }

    /** The node's signed receipt, verified against the bytes exchanged when {@code verify} was asked for. */
    public record Receipt(SignedReceipt signed) implements Part {
    }

    private static final JsonFactory JSON = new JsonFactory();

    private final HPKEContext context;
    private final byte[] enc;
    private final byte[] requestHash;
    private final FrameReader reader = new FrameReader();
    private final MessageDigest hash;
    private ResponseKeys keys;
    private long index;
    private boolean finalSeen;
    private boolean receiptSeen;
    private E2eeException failure;

    ResponseOpener(HPKEContext context, byte[] enc, byte[] requestHash) {
        this.context = context;
        this.enc = enc;
        this.requestHash = requestHash;
        try {
            this.hash = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Takes the next bytes of the response body and returns what they complete. */
    public List<Part> accept(byte[] data) throws E2eeException {
        if (failure != null) {
            throw failure;
        }
        try {
            return decode(data);
        } catch (E2eeException e) {
            failure = e;
            throw e;
        }
    }

    /** The body ended: fails unless the final frame arrived. */
    public void end() throws E2eeException {
        if (failure != null) {
            throw failure;
        }
        if (!finalSeen || reader.hasPartialData()) {
            failure = new E2eeException.Truncated();
            throw failure;
        }
    }

    /** SHA-256 of the request body this response belongs to. */
    public byte[] requestHash() {
        return requestHash.clone();
    }

    /**
     * Checks a receipt: signed by the attested signing key, naming this request's and response's hashes.
     *
     * @throws E2eeException.BadReceipt when any check fails
     */
    public dev.veil.protocol.e2ee.Receipt verifyReceipt(SignedReceipt receipt, byte[] signingPublicKey) throws E2eeException {
        if (!receipt.verifies(signingPublicKey)) {
            throw new E2eeException.BadReceipt("the receipt's signature does not verify with the attested signing key");
        }
        dev.veil.protocol.e2ee.Receipt r = receipt.receipt();
        if (!r.requestSha256().equals(E2ee.hex(requestHash))) {
            throw new E2eeException.BadReceipt("the receipt names another request");
        }
        if (!r.responseSha256().equals(E2ee.hex(currentHash()))) {
            throw new E2eeException.BadReceipt("the receipt names another response");
        }
        return r;
    }

    private List<Part> decode(byte[] data) throws E2eeException {
        boolean hadNonce = reader.responseNonce() != null;
        List<FrameReader.Frame> frames = reader.accept(data);
        if (!hadNonce && reader.responseNonce() != null) {
            keys = ResponseKeys.derive(context, enc, reader.responseNonce());
            hash.update(reader.responseNonce());
        }
        List<Part> parts = new ArrayList<>(frames.size());
        for (FrameReader.Frame frame : frames) {
            if (receiptSeen) {
                throw new E2eeException.TrailingData();
            }
            if (frame.receipt()) {
                if (!finalSeen || frame.flags() != E2ee.FLAG_RECEIPT) {
                    throw new E2eeException.Malformed("a receipt frame may only follow the final frame");
                }
                receiptSeen = true;
                parts.add(new Receipt(SignedReceipt.fromFramePayload(frame.payload())));
                continue;
            }
            if (finalSeen) {
                throw new E2eeException.TrailingData();
            }
            byte[] plain;
            try {
                plain = keys.open(index, frame.flags(), frame.payload());
            } catch (AEADBadTagException e) {
                throw new E2eeException.FrameRejected(index, e);
            }
            hash.update(frame.raw());
            finalSeen = frame.last();
            if (index == 0) {
                parts.add(parseHead(plain));
                if (finalSeen) {
                    parts.add(new Chunk(new byte[0], true));
                }
            } else {
                parts.add(new Chunk(plain, finalSeen));
            }
            index++;
        }
        return parts;
    }

    private byte[] currentHash() {
        try {
            return ((MessageDigest) hash.clone()).digest();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Head parseHead(byte[] json) throws E2eeException {
        int status = -1;
        String contentType = null;
        try (JsonParser p = JSON.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new E2eeException.Malformed("the response head is not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken v = p.nextToken();
                if (field.equals("status") && v == JsonToken.VALUE_NUMBER_INT) {
                    status = p.getIntValue();
                } else if (field.equals("content_type") && v == JsonToken.VALUE_STRING) {
                    contentType = p.getText();
                } else {
                    p.skipChildren();
                }
            }
        } catch (IOException e) {
            throw new E2eeException.Malformed("the response head is not valid JSON");
        }
        if (status < 100 || status > 599) {
            throw new E2eeException.Malformed("the response head has no valid status");
        }
        return new Head(status, contentType);
    }

    @Override
    public String toString() {
        return "ResponseOpener[frames=" + index + ", final=" + finalSeen + "]";
    }
}
