package dev.veil.it;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.TimeUnit;

/**
 * A TCP relay that records every byte in both directions: placed between the gateway and a node, it shows exactly
 * what crossed the network between them.
 */
final class TcpCapture implements AutoCloseable {

    private final Vertx vertx = Vertx.vertx();
    private final ByteArrayOutputStream seen = new ByteArrayOutputStream();
    private final NetServer server;

    TcpCapture(String targetHost, int targetPort) {
        NetClient client = vertx.createNetClient();
        try {
            server = vertx.createNetServer().connectHandler(inbound -> {
                inbound.pause();
                client.connect(targetPort, targetHost).onSuccess(outbound -> {
                    relay(inbound, outbound);
                    relay(outbound, inbound);
                    inbound.resume();
                }).onFailure(t -> inbound.close());
            }).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException(e);
        }
    }

    private void relay(NetSocket from, NetSocket to) {
        from.handler(buffer -> {
            synchronized (seen) {
                seen.writeBytes(buffer.getBytes());
            }
            to.write(buffer);
        });
        from.closeHandler(v -> to.close());
    }

    int port() {
        return server.actualPort();
    }

    /** Every byte relayed so far, both directions. */
    byte[] captured() {
        synchronized (seen) {
            return seen.toByteArray();
        }
    }

    @Override
    public void close() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }
}
