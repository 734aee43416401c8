package dev.veil.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import java.util.List;

/**
 * Vert.x's HTTP/1 request decoder with RFC 9112 framing enforced, and the request's progress reported to its
 * {@link ConnectionGuard}.
 *
 * <p>A request that carries {@code Transfer-Encoding} together with {@code Content-Length}, or a
 * {@code Transfer-Encoding} other than exactly {@code chunked}, is marked as failed: Vert.x hands it to the server's
 * invalid-request handler ({@link InvalidRequests}: an OpenAI-shaped 400) and closes the connection once that answer
 * is written, so no byte after it is ever read as another request. Netty alone would drop the {@code Content-Length}
 * of a chunked request silently, and read a body framed by an unknown coding ({@code xchunked}) by its length.
 */
final class StrictRequestDecoder extends VertxHttpRequestDecoder {

    /** Why a request's framing was refused; the message is the {@code code} of the 400. */
    static final class FramingException extends IllegalArgumentException {
        FramingException(String code) {
            super(code, null);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    static final String CONFLICTING_LENGTH = "conflicting_framing";
    static final String UNSUPPORTED_CODING = "unsupported_transfer_encoding";

    private final ConnectionGuard guard;
    private boolean refused;

    StrictRequestDecoder(HttpServerOptions options, ConnectionGuard guard) {
        super(options);
        this.guard = guard;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
        if (refused) {
            buffer.skipBytes(buffer.readableBytes());
            return;
        }
        int before = out.size();
        super.decode(ctx, buffer, out);
        for (int i = before; i < out.size(); i++) {
            Object message = out.get(i);
            if (message instanceof HttpRequest request) {
                guard.headersComplete(request);
                if (!request.decoderResult().isSuccess()) {
                    // Netty refuses some framing itself (Content-Length with chunked, chunked not last) before the
                    // check above runs; name the specific problem all the same.
                    String problem = request.decoderResult().cause() instanceof FramingException ? null
                            : request.decoderResult().cause() instanceof io.netty.handler.codec.http.ContentLengthNotAllowedException
                            ? CONFLICTING_LENGTH : framingProblem(request.headers());
                    if (problem != null) {
                        refuse(request, problem);
                    }
                    // A refused request's framing cannot be trusted, so neither can anything after its headers: Vert.x
                    // answers it and closes the connection; until then no further byte may reach it as a body or as
                    // a next request.
                    refused = true;
                    while (out.size() > i + 1) {
                        io.netty.util.ReferenceCountUtil.release(out.remove(out.size() - 1));
                    }
                    buffer.skipBytes(buffer.readableBytes());
                    return;
                }
            }
            if (message instanceof LastHttpContent) {
                guard.bodyComplete();
            }
        }
    }

    @Override
    protected void handleTransferEncodingChunkedWithContentLength(HttpMessage message) {
        // Netty removes the Content-Length here and reads the body as chunked; the request is refused anyway.
        super.handleTransferEncodingChunkedWithContentLength(message);
        refuse(message, CONFLICTING_LENGTH);
    }

    /** Called once per message, right after its headers are parsed: the place to check the framing headers. */
    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage message) {
        HttpHeaders headers = message.headers();
        if (headers.contains(HttpHeaderNames.UPGRADE, "h2c", true) && !validH2cUpgrade(headers)) {
            // Vert.x would answer a bare 400 and leave the connection open; an Upgrade is optional (RFC 9110 §7.8),
            // so the request is served as the HTTP/1.1 request it also is.
            headers.remove(HttpHeaderNames.UPGRADE);
        }
        String problem = framingProblem(headers);
        if (problem != null) {
            refuse(message, problem);
        }
        return super.isContentAlwaysEmpty(message);
    }

    /** The code of what is wrong with a request's framing headers, or {@code null}. */
    static String framingProblem(HttpHeaders headers) {
        if (!headers.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            return null;
        }
        List<String> codings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
        if (codings.size() != 1 || !"chunked".equalsIgnoreCase(codings.get(0).trim())) {
            return UNSUPPORTED_CODING;
        }
        return headers.contains(HttpHeaderNames.CONTENT_LENGTH) ? CONFLICTING_LENGTH : null;
    }

    /**
     * What Vert.x needs to switch to HTTP/2: {@code Connection} naming exactly the tokens {@code upgrade} and
     * {@code HTTP2-Settings}, and an {@code HTTP2-Settings} header holding valid base64url-encoded settings.
     */
    static boolean validH2cUpgrade(HttpHeaders headers) {
        String connection = headers.get(HttpHeaderNames.CONNECTION);
        String settings = headers.get("http2-settings");
        if (connection == null || settings == null) {
            return false;
        }
        boolean upgrade = false;
        boolean http2Settings = false;
        for (String token : connection.split(",")) {
            String t = token.trim().toLowerCase(java.util.Locale.ROOT);
            upgrade |= t.equals("upgrade");
            http2Settings |= t.equals("http2-settings");
        }
        if (!upgrade || !http2Settings) {
            return false;
        }
        try {
            byte[] bytes = java.util.Base64.getUrlDecoder().decode(settings.trim());
            if (bytes.length % 6 != 0) {
                return false;
            }
            io.netty.handler.codec.http2.Http2Settings parsed = new io.netty.handler.codec.http2.Http2Settings();
            for (int i = 0; i < bytes.length; i += 6) {
                char id = (char) ((bytes[i] & 0xff) << 8 | (bytes[i + 1] & 0xff));
                long value = (bytes[i + 2] & 0xffL) << 24 | (bytes[i + 3] & 0xffL) << 16 | (bytes[i + 4] & 0xffL) << 8
                        | (bytes[i + 5] & 0xffL);
                parsed.put(id, Long.valueOf(value));
            }
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
        // An h2c upgrade removes the HTTP/1 decoder: HTTP/2 frames its own streams.
        guard.off();
        super.handlerRemoved0(ctx);
    }

    private static void refuse(HttpMessage message, String code) {
        // Netty 4.2.13 refuses some of these itself; the specific code tells the client what to fix.
        message.setDecoderResult(DecoderResult.failure(new FramingException(code)));
    }
}
