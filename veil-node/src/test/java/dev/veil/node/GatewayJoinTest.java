package dev.veil.node;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The node's join call holds at most a bounded answer from whatever answers at the gateway's address. */
@Timeout(30)
class GatewayJoinTest {

    @Test
    void anEndlessJoinAnswerIsCutAtTheCapNotBuffered() throws Exception {
        try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try (Socket s = server.accept()) {
                    s.getInputStream().readNBytes(1); // the request has started
                    OutputStream out = s.getOutputStream();
                    out.write(("HTTP/1.1 201 Created\r\ncontent-type: application/json\r\n"
                            + "transfer-encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                    byte[] chunk = ("2000\r\n" + "x".repeat(0x2000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                    while (true) {
                        out.write(chunk); // never ends: a buffering reader would grow until the heap is gone
                    }
                } catch (Exception e) {
                    // the client closed the stream after its cap: expected
                }
            });
            assertThatThrownBy(() -> new GatewayJoin().join(URI.create("http://127.0.0.1:" + server.getLocalPort()),
                    "veil_jt_x", "http://127.0.0.1:9", "n", List.of("m")))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("no registration id");
        }
    }
}
