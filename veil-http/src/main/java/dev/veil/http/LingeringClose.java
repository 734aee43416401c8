package dev.veil.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.impl.ConnectionBase;
import java.util.concurrent.TimeUnit;

/**
 * Closes an HTTP/1 connection whose request input was not read, after its answer is written: the write side is shut
 * (the client sees the whole answer, then end of stream), further input is discarded below the HTTP decoder (so bytes
 * that were meant as the body can never run as a next request), and the socket is closed when the client closes its
 * side or after {@link #LINGER_MS}. Closing at once could reset the connection before the client has read the answer.
 */
public final class LingeringClose {

    /** How long a client that keeps sending gets to read the answer before the socket is closed. */
    static final long LINGER_MS = 2_000;

    private LingeringClose() {
    }

    /** Starts the close of {@code request}'s connection; its response must be written. */
    public static void after(HttpServerRequest request) {
        HttpConnection connection = request.connection();
        if (!(connection instanceof ConnectionBase base)) {
            connection.close();
            return;
        }
        Channel channel = base.channel();
        channel.eventLoop().execute(() -> start(channel));
    }

    private static void start(Channel channel) {
        if (!channel.isActive()) {
            return;
        }
        if (channel.pipeline().get(Discard.class) == null) {
            channel.pipeline().addFirst(new Discard());
        }
        channel.eventLoop().schedule(() -> {
            channel.close();
        }, LINGER_MS, TimeUnit.MILLISECONDS);
        if (channel instanceof DuplexChannel duplex) {
            duplex.shutdownOutput();
        }
        // Vert.x may have paused reading for the unread body; read on so the client's sends drain.
        channel.config().setAutoRead(true);
        channel.read();
    }

    /** Drops every inbound byte; the connection is on its way out. */
    private static final class Discard extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            // not passed on: Vert.x would toggle reading for input it never sees
        }
    }
}
