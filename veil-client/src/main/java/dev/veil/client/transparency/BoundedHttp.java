package dev.veil.client.transparency;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One HTTP exchange whose whole answer, head and body, is read within a size cap and a time limit. The JDK client's
 * request timeout covers only the answer's head; a gateway (or whatever answers at its address) must not hold a client
 * with an endless or silent body, nor fill its heap with a huge one. The body is collected chunk by chunk and the
 * exchange is cancelled as soon as it passes the cap or the time is up.
 */
public final class BoundedHttp {

    private BoundedHttp() {
    }

    /** A whole answer: its status and body. */
    public record Answer(int status, byte[] body) {
    }

    /** The answer's body is larger than the cap. */
    public static final class TooLarge extends IOException {
        TooLarge(int cap) {
            super("the answer is larger than " + cap + " bytes", null);
        }
    }

    /**
     * Sends {@code request} and returns the whole answer, at most {@code cap} body bytes, within {@code timeout} from
     * now (head and body together).
     *
     * @throws TooLarge             the body passed {@code cap} (nothing more is read)
     * @throws HttpTimeoutException the answer was not complete within {@code timeout}
     * @throws InterruptedIOException interrupted (the thread's interrupt flag is set again)
     * @throws IOException          any other transport failure
     */
    public static Answer send(HttpClient http, HttpRequest request, int cap, Duration timeout) throws IOException {
        CompletableFuture<HttpResponse<byte[]>> exchange = http.sendAsync(request, info -> new Capped(cap));
        try {
            HttpResponse<byte[]> response = exchange.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return new Answer(response.statusCode(), response.body());
        } catch (TimeoutException e) {
            exchange.cancel(true);
            throw new HttpTimeoutException("the answer from " + request.uri().getHost() + " did not arrive within "
                    + timeout.toMillis() + " ms");
        } catch (InterruptedException e) {
            exchange.cancel(true);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for " + request.uri().getHost());
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
                cause = cause.getCause();
            }
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException("the exchange with " + request.uri().getHost() + " failed ("
                    + (cause == null ? "unknown" : cause.getClass().getSimpleName()) + ")", cause);
        }
    }

    /** Collects a body up to a cap; past it, cancels the subscription and fails with {@link TooLarge}. */
    private static final class Capped implements HttpResponse.BodySubscriber<byte[]> {
        private final int cap;
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        private Flow.Subscription subscription;

        Capped(int cap) {
            this.cap = cap;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer item : items) {
                if (body.size() + item.remaining() > cap) {
                    subscription.cancel();
                    result.completeExceptionally(new TooLarge(cap));
                    return;
                }
                byte[] chunk = new byte[item.remaining()];
                item.get(chunk);
                body.writeBytes(chunk);
            }
            subscription.request(1);
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(body.toByteArray());
        }
    }
}
