package dev.veil.node;

import dev.veil.protocol.attestation.AttestationException;
import dev.veil.protocol.attestation.GpuReport;
import dev.veil.protocol.e2ee.E2ee;
import dev.veil.protocol.e2ee.SigningKey;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Collects hardware GPU evidence through an operator-supplied command, so the node needs no native binding to NVIDIA's
 * driver: the command is run as {@code <command...> <gpu nonce hex>} and must print {@code {"gpus":[...]}} (each
 * {@code {"format":"nvidia-gpu","architecture":"hopper","report":<base64url>,"certificates":<base64url PEM chain>}}),
 * typically a few lines over NVML's {@code nvmlDeviceGetConfComputeGpuAttestationReport} and
 * {@code nvmlDeviceGetConfComputeGpuCertificate} (docs/attestation.md shows one). Its output is bounded, it has a
 * time limit, and it must report exactly the GPUs the node was started with: fewer is an error, never a smaller set.
 */
public final class CommandGpuEvidenceSource implements GpuEvidenceSource {

    /** Reports and chains of sixteen GPUs fit with room to spare; more output is refused. */
    static final int MAX_OUTPUT_BYTES = 4 * 1024 * 1024;
    /** Collecting reports from eight GPUs takes seconds; a minute is generous. */
    static final long TIMEOUT_SECONDS = 60;

    private final List<String> command;
    private final int expectedGpus;
    private final long timeoutSeconds;

    /**
     * @param command      the collector and its arguments (the nonce is appended)
     * @param expectedGpus how many GPUs it must report
     */
    public CommandGpuEvidenceSource(List<String> command, int expectedGpus) {
        this(command, expectedGpus, TIMEOUT_SECONDS);
    }

    CommandGpuEvidenceSource(List<String> command, int expectedGpus, long timeoutSeconds) {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("the GPU evidence command is empty");
        }
        if (expectedGpus < 1 || expectedGpus > GpuReport.MAX_PER_NODE) {
            throw new IllegalArgumentException("a node attests between 1 and " + GpuReport.MAX_PER_NODE + " GPUs, not "
                    + expectedGpus);
        }
        this.command = List.copyOf(command);
        this.expectedGpus = expectedGpus;
        this.timeoutSeconds = timeoutSeconds;
    }

    @Override
    public List<GpuReport> collect(byte[] gpuNonce, SigningKey signingKey) {
        List<String> argv = new ArrayList<>(command);
        argv.add(E2ee.hex(gpuNonce));
        Process process;
        try {
            process = new ProcessBuilder(argv).redirectError(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw new IllegalStateException("the GPU evidence command could not start: " + e.getMessage());
        }
        try {
            // Read on its own thread so the time limit holds even when the command keeps its output open and silent;
            // destroying the process (finally) closes the stream and ends that thread.
            FutureTask<byte[]> reading = new FutureTask<>(() -> readBounded(process.getInputStream()));
            Thread.ofVirtual().name("veil-gpu-evidence").start(reading);
            byte[] output = reading.get(timeoutSeconds, TimeUnit.SECONDS);
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the GPU evidence command did not exit after writing its answer");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException("the GPU evidence command exited with status " + process.exitValue());
            }
            List<GpuReport> gpus = GpuReport.parseList(output);
            if (gpus.size() != expectedGpus) {
                throw new IllegalStateException("the GPU evidence command reported " + gpus.size() + " GPUs; the node was"
                        + " started with " + expectedGpus);
            }
            return gpus;
        } catch (AttestationException e) {
            throw new IllegalStateException("the GPU evidence command's output is not GPU evidence: " + e.getMessage());
        } catch (ExecutionException e) {
            throw new IllegalStateException("reading the GPU evidence command's output failed: "
                    + e.getCause().getMessage());
        } catch (TimeoutException e) {
            throw new IllegalStateException("the GPU evidence command gave no complete answer within " + timeoutSeconds
                    + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while collecting GPU evidence");
        } finally {
            process.destroyForcibly();
        }
    }

    private static byte[] readBounded(InputStream in) throws IOException {
        byte[] output = in.readNBytes(MAX_OUTPUT_BYTES + 1);
        if (output.length > MAX_OUTPUT_BYTES) {
            throw new IOException("more than " + MAX_OUTPUT_BYTES + " bytes of output");
        }
        return output;
    }

    @Override
    public String describe() {
        return expectedGpus + " GPU(s) through '" + command.getFirst() + "'";
    }
}
