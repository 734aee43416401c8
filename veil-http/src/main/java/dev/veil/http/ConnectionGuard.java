package dev.veil.http;

import dev.veil.protocol.OpenAiError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.Http1xOrH2CHandler;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The request-header and request-body timeouts of one client connection, and the installer of the
 * {@link StrictRequestDecoder}. It sits first in the connection's pipeline from the moment the connection is accepted
 * ({@link StrictHttpTransport}).
 *
 * <ul>
 *   <li>Headers: a request's complete headers must arrive within the header timeout, counted from the connection's
 *       start or from the first byte of a later request on it; otherwise the connection is closed.</li>
 *   <li>Body: once the headers are in, the whole body must arrive within the body timeout (for the paths that stream
 *       large uploads: at most that long between two reads); otherwise the client gets an OpenAI-shaped 408 and the
 *       connection is closed.</li>
 *   <li>Between requests the server's idle timeout applies (a keep-alive connection, or a long answer being
 *       written).</li>
 * </ul>
 *
 * One timer per connection at most, re-armed lazily when it fires, so a request costs a few field writes. HTTP/2
 * connections (prior knowledge or upgrade) turn the guard off: HTTP/2 frames its own streams; the idle timeout
 * still applies.
 */
final class ConnectionGuard extends ChannelDuplexHandler {

    /** Limits shared by every connection of a server. */
    record Limits(long headerTimeoutMs, long bodyTimeoutMs, Predicate<String> streamedUpload) {
    }

    private enum Phase { HEADERS, BODY, BETWEEN, OFF }

    private static final byte[] PREFACE = Http1xOrH2CHandler.HTTP_2_PREFACE.getBytes(StandardCharsets.US_ASCII);

    private final HttpServerOptions options;
    private final Limits limits;
    private final byte[] timeoutAnswer;
    private ChannelHandlerContext ctx;
    private Phase phase = Phase.HEADERS;
    private long since = System.nanoTime();
    private boolean streamedBody;
    private boolean wroteDuringBody;
    private boolean decoderInstalled;
    private ByteBuf prefix;
    private ScheduledFuture<?> timer;

    ConnectionGuard(HttpServerOptions options, Limits limits, byte[] timeoutAnswer) {
        this.options = options;
        this.limits = limits;
        this.timeoutAnswer = timeoutAnswer;
    }

    /** The raw HTTP/1.1 408 a timed-out body gets (the connection closes right after, outside Vert.x). */
    static byte[] timeoutAnswer(long bodyTimeoutMs) {
        byte[] json = new OpenAiError(408, "The request body did not arrive within " + bodyTimeoutMs + " ms; send it "
                + "in one go, or retry on a faster connection.", OpenAiError.INVALID_REQUEST, null, "request_timeout").toJson();
        String head = "HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\ncontent-length: " + json.length
                + "\r\nconnection: close\r\n\r\n";
        byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
        byte[] all = new byte[headBytes.length + json.length];
        System.arraycopy(headBytes, 0, all, 0, headBytes.length);
        System.arraycopy(json, 0, all, headBytes.length, json.length);
        return all;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        since = System.nanoTime();
        arm();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        disarm();
        releasePrefix();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        disarm();
        releasePrefix();
        ctx.fireChannelInactive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (phase == Phase.OFF || !(msg instanceof ByteBuf bytes)) {
            ctx.fireChannelRead(msg);
            return;
        }
        if (!decoderInstalled) {
            firstBytes(ctx, bytes);
            return;
        }
        bytesArrived();
        ctx.fireChannelRead(msg);
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (phase == Phase.BODY) {
            wroteDuringBody = true;
        }
        ctx.write(msg, promise);
    }

    /** The decoder parsed a request's headers. */
    void headersComplete(HttpRequest request) {
        if (phase == Phase.OFF) {
            return;
        }
        phase = Phase.BODY;
        since = System.nanoTime();
        streamedBody = limits.streamedUpload().test(request.uri());
        wroteDuringBody = false;
        arm();
    }

    /** The decoder read a request's last byte. */
    void bodyComplete() {
        if (phase != Phase.OFF) {
            phase = Phase.BETWEEN;
        }
    }

    /** HTTP/2 took over the connection. */
    void off() {
        phase = Phase.OFF;
        disarm();
    }

    private void bytesArrived() {
        if (phase == Phase.BETWEEN) {
            phase = Phase.HEADERS;
            since = System.nanoTime();
            arm();
        } else if (phase == Phase.BODY && streamedBody) {
            since = System.nanoTime();
        }
    }

    /**
     * The connection's first bytes. Vert.x decides between HTTP/2 with prior knowledge and HTTP/1 on them and only
     * then adds its HTTP/1 decoder, which is replaced here by the strict one before it has seen a byte.
     */
    private void firstBytes(ChannelHandlerContext ctx, ByteBuf bytes) {
        ChannelPipeline pipeline = ctx.pipeline();
        if (pipeline.get(Http1xOrH2CHandler.class) == null) {
            // HTTP/1 only (the decoder is already there) or an unexpected layout.
            decoderInstalled = true;
            if (!replaceDecoder(pipeline)) {
                off();
            }
            bytesArrived();
            ctx.fireChannelRead(bytes);
            return;
        }
        prefix = prefix == null ? bytes : Unpooled.wrappedBuffer(prefix, bytes);
        int compared = Math.min(prefix.readableBytes(), PREFACE.length);
        for (int i = 0; i < compared; i++) {
            if (prefix.getByte(prefix.readerIndex() + i) != PREFACE[i]) {
                http1(ctx, pipeline);
                return;
            }
        }
        if (compared == PREFACE.length) {
            off();
            ByteBuf all = prefix;
            prefix = null;
            ctx.fireChannelRead(all);
        }
        // else: a prefix of the HTTP/2 preface so far; wait for more (at most 24 bytes are held)
    }

    private void http1(ChannelHandlerContext ctx, ChannelPipeline pipeline) {
        // One line feed, which an HTTP/1 decoder skips before a request line, makes Vert.x set up HTTP/1 now.
        ctx.fireChannelRead(Unpooled.wrappedBuffer(new byte[] {'\n'}));
        decoderInstalled = true;
        if (!replaceDecoder(pipeline)) {
            off();
        }
        ByteBuf all = prefix;
        prefix = null;
        bytesArrived();
        ctx.fireChannelRead(all);
    }

    private boolean replaceDecoder(ChannelPipeline pipeline) {
        var decoder = pipeline.get("httpDecoder");
        if (decoder == null) {
            return false;
        }
        if (!(decoder instanceof StrictRequestDecoder)) {
            pipeline.replace("httpDecoder", "httpDecoder", new StrictRequestDecoder(options, this));
        }
        return true;
    }

    private void arm() {
        if (timer == null && ctx != null && phase != Phase.OFF && phase != Phase.BETWEEN) {
            long timeout = phase == Phase.HEADERS ? limits.headerTimeoutMs() : limits.bodyTimeoutMs();
            long delay = Math.max(1, TimeUnit.MILLISECONDS.toNanos(timeout) - (System.nanoTime() - since));
            timer = ctx.executor().schedule(this::check, delay, TimeUnit.NANOSECONDS);
        }
    }

    private void disarm() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    private void check() {
        timer = null;
        if (!ctx.channel().isActive() || phase == Phase.OFF || phase == Phase.BETWEEN) {
            return;
        }
        long timeout = phase == Phase.HEADERS ? limits.headerTimeoutMs() : limits.bodyTimeoutMs();
        if (System.nanoTime() - since < TimeUnit.MILLISECONDS.toNanos(timeout)) {
            arm();
            return;
        }
        Phase expired = phase;
        off();
        if (expired == Phase.BODY && !wroteDuringBody) {
            // Written below the HTTP encoder: Vert.x's response for this request has not started and never will.
            ctx.writeAndFlush(Unpooled.wrappedBuffer(timeoutAnswer)).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }

    private void releasePrefix() {
        if (prefix != null) {
            prefix.release();
            prefix = null;
        }
    }
}
