package dev.veil.http;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.ClientOptionsBase;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.transport.Transport;
import java.net.SocketAddress;
import java.util.concurrent.ThreadFactory;

/**
 * Vert.x's NIO transport, plus a {@link ConnectionGuard} placed first on every connection an HTTP server of this Vert.x
 * instance accepts. Vert.x has no public hook at accept time (its connection handler runs only once the first request's
 * headers are in, too late for a header timeout), but it lets the transport configure the server bootstrap: the
 * server channel's own handler sees each accepted connection before Vert.x sets it up. Clients are untouched.
 */
public final class StrictHttpTransport implements Transport {

    private final Spi spi;

    private StrictHttpTransport(ConnectionGuard.Limits limits) {
        this.spi = new Spi(Transport.NIO.implementation(), limits);
    }

    /**
     * The NIO transport with the guard.
     *
     * @param headerTimeoutMs time for a request's complete headers
     * @param bodyTimeoutMs   time for a request's whole body
     * @param streamedUpload  request targets whose body is a large upload streamed to disk: for them the body timeout
     *                        bounds the pause between two reads rather than the whole body
     */
    public static StrictHttpTransport nio(long headerTimeoutMs, long bodyTimeoutMs,
                                          java.util.function.Predicate<String> streamedUpload) {
        return new StrictHttpTransport(new ConnectionGuard.Limits(headerTimeoutMs, bodyTimeoutMs, streamedUpload));
    }

    @Override
    public String name() {
        return "nio";
    }

    @Override
    public boolean available() {
        return true;
    }

    @Override
    public Throwable unavailabilityCause() {
        return null;
    }

    @Override
    public io.vertx.core.spi.transport.Transport implementation() {
        return spi;
    }

    /** Places a fresh guard on each accepted connection, before Vert.x's own initializer runs. */
    @ChannelHandler.Sharable
    private static final class AcceptHook extends ChannelInboundHandlerAdapter {
        private final HttpServerOptions options;
        private final ConnectionGuard.Limits limits;
        private final byte[] timeoutAnswer;

        AcceptHook(HttpServerOptions options, ConnectionGuard.Limits limits) {
            this.options = new HttpServerOptions(options);
            this.limits = limits;
            this.timeoutAnswer = ConnectionGuard.timeoutAnswer(limits.bodyTimeoutMs());
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof Channel child) {
                child.pipeline().addFirst("veilGuard", new ConnectionGuard(options, limits, timeoutAnswer));
            }
            ctx.fireChannelRead(msg);
        }
    }

    /** Delegates everything to Vert.x's NIO transport but the server bootstrap's handler. */
    private static final class Spi implements io.vertx.core.spi.transport.Transport {
        private final io.vertx.core.spi.transport.Transport nio;
        private final ConnectionGuard.Limits limits;

        Spi(io.vertx.core.spi.transport.Transport nio, ConnectionGuard.Limits limits) {
            this.nio = nio;
            this.limits = limits;
        }

        @Override
        public void configure(NetServerOptions options, boolean domainSocket, ServerBootstrap bootstrap) {
            nio.configure(options, domainSocket, bootstrap);
            if (options instanceof HttpServerOptions http && !http.isSsl()) {
                bootstrap.handler(new AcceptHook(http, limits));
            }
        }

        @Override
        public boolean supportsDomainSockets() {
            return nio.supportsDomainSockets();
        }

        @Override
        public boolean supportFileRegion() {
            return nio.supportFileRegion();
        }

        @Override
        public boolean isAvailable() {
            return nio.isAvailable();
        }

        @Override
        public Throwable unavailabilityCause() {
            return nio.unavailabilityCause();
        }

        @Override
        public SocketAddress convert(io.vertx.core.net.SocketAddress address) {
            return nio.convert(address);
        }

        @Override
        public io.vertx.core.net.SocketAddress convert(SocketAddress address) {
            return nio.convert(address);
        }

        @Override
        public IoHandlerFactory ioHandlerFactory() {
            return nio.ioHandlerFactory();
        }

        @Override
        public EventLoopGroup eventLoopGroup(int type, int nThreads, ThreadFactory threadFactory, int ioRatio) {
            return nio.eventLoopGroup(type, nThreads, threadFactory, ioRatio);
        }

        @Override
        public DatagramChannel datagramChannel() {
            return nio.datagramChannel();
        }

        @Override
        public DatagramChannel datagramChannel(InternetProtocolFamily family) {
            return nio.datagramChannel(family);
        }

        @Override
        public ChannelFactory<? extends Channel> channelFactory(boolean domainSocket) {
            return nio.channelFactory(domainSocket);
        }

        @Override
        public ChannelFactory<? extends ServerChannel> serverChannelFactory(boolean domainSocket) {
            return nio.serverChannelFactory(domainSocket);
        }

        @Override
        public void configure(DatagramChannel channel, DatagramSocketOptions options) {
            nio.configure(channel, options);
        }

        @Override
        public void configure(ClientOptionsBase options, int connectTimeout, boolean domainSocket, Bootstrap bootstrap) {
            nio.configure(options, connectTimeout, domainSocket, bootstrap);
        }
    }
}
