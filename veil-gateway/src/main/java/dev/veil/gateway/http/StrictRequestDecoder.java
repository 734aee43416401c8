package dev.veil.gateway.http;

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

    StrictRequestDecoder(HttpServerOptions options, ConnectionGuard guard) {
        super(options);
        this.guard = guard;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out) throws Exception {
        int before = out.size();
        super.decode(ctx, buffer, out);
        for (int i = before; i < out.size(); i++) {
            Object message = out.get(i);
            if (message instanceof HttpRequest request) {
                guard.headersComplete(request);
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
        if (headers.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
            List<String> codings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
            if (codings.size() != 1 || !"chunked".equalsIgnoreCase(codings.get(0).trim())) {
                refuse(message, UNSUPPORTED_CODING);
            } else if (headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
                refuse(message, CONFLICTING_LENGTH);
            }
        }
        return super.isContentAlwaysEmpty(message);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
        // An h2c upgrade removes the HTTP/1 decoder: HTTP/2 frames its own streams.
        guard.off();
        super.handlerRemoved0(ctx);
    }

    private static void refuse(HttpMessage message, String code) {
        if (message.decoderResult().isSuccess()) {
            message.setDecoderResult(DecoderResult.failure(new FramingException(code)));
        }
    }
}
