package dev.veil.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code java -jar veil-bench-all.jar <command>}:
 * <ul>
 *   <li>{@code run [--quick] [options]}: the side-by-side harness (bench/run calls it);</li>
 *   <li>{@code fake [--port N]}: the fake upstream alone, until interrupted;</li>
 *   <li>{@code jmh-report <jmh.json> <doc.md> [command]}: the JMH table into the doc (bench/jmh calls it).</li>
 * </ul>
 * The JMH benchmarks themselves run with {@code java -cp veil-bench-all.jar org.openjdk.jmh.Main}.
 */
public final class BenchMain {

    private BenchMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage();
            System.exit(2);
        }
        List<String> rest = new ArrayList<>(Arrays.asList(args).subList(1, args.length));
        switch (args[0]) {
            case "run" -> run(rest);
            case "fake" -> fake(rest);
            case "jmh-report" -> {
                if (rest.size() < 2) {
                    usage();
                    System.exit(2);
                }
                String command = rest.size() > 2 ? rest.get(2) : "bench/jmh";
                Report.replaceSection(Path.of(rest.get(1)), Report.JMH_BEGIN, Report.JMH_END,
                        JmhReport.markdown(Path.of(rest.get(0)), command));
                System.out.println(JmhReport.markdown(Path.of(rest.get(0)), command));
            }
            default -> {
                usage();
                System.exit(2);
            }
        }
        System.exit(0);
    }

    private static void usage() {
        System.err.println("""
                usage: veil-bench run [--quick] [--root DIR] [--veil-jar JAR] [--portkey-dir DIR] [--doc FILE]
                                      [--results DIR] [--gateway-cpu N] [--load-cpu N] [--no-pin]
                                      [--veil-jvm "-Xmx128m ..."] [--skip nginx,portkey] [--command TEXT]
                       veil-bench fake [--port N]
                       veil-bench jmh-report JMH.json DOC.md [COMMAND]""");
    }

    private static String value(List<String> args, int i, String name) {
        if (i + 1 >= args.size()) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        return args.get(i + 1);
    }

    private static void run(List<String> args) throws Exception {
        boolean quick = false;
        Path root = Path.of(".").toAbsolutePath().normalize();
        Path veilJar = null;
        Path portkeyDir = null;
        Path doc = null;
        Path results = null;
        int gatewayCpu = 1;
        int loadCpu = 0;
        boolean pin = true;
        // The heap the targets state and the flags bin/jvm-flags gives the ./veil launcher on JDK 23+ (bench/run passes
        // that script's output with --veil-jvm; this default is for running the harness jar by hand).
        List<String> jvm = List.of("-Xmx128m", "-XX:+ExitOnOutOfMemoryError", "-XX:TrimNativeHeapInterval=5000",
                "--sun-misc-unsafe-memory-access=allow");
        List<String> skip = List.of();
        String command = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--quick" -> quick = true;
                case "--root" -> root = Path.of(value(args, i++, a)).toAbsolutePath().normalize();
                case "--veil-jar" -> veilJar = Path.of(value(args, i++, a));
                case "--portkey-dir" -> portkeyDir = Path.of(value(args, i++, a));
                case "--doc" -> doc = Path.of(value(args, i++, a));
                case "--results" -> results = Path.of(value(args, i++, a));
                case "--gateway-cpu" -> gatewayCpu = Integer.parseInt(value(args, i++, a));
                case "--load-cpu" -> loadCpu = Integer.parseInt(value(args, i++, a));
                case "--no-pin" -> pin = false;
                case "--veil-jvm" -> jvm = List.of(value(args, i++, a).trim().split("\\s+"));
                case "--skip" -> skip = List.of(value(args, i++, a).split(","));
                case "--command" -> command = value(args, i++, a);
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (veilJar == null) {
            try (var files = Files.list(root.resolve("veil-app/target"))) {
                veilJar = files.filter(p -> p.getFileName().toString().endsWith("-all.jar")).findFirst().orElse(null);
            } catch (java.io.IOException e) {
                veilJar = null;
            }
        }
        if (pin && Target.firstLine(List.of("taskset", "--version")).isEmpty()) {
            System.out.println("[bench] taskset not found: running unpinned");
            pin = false;
        }
        Harness.Options options = new Harness.Options(root, veilJar,
                portkeyDir != null ? portkeyDir : root.resolve("bench/.peers/portkey"),
                doc != null ? doc : root.resolve("docs/benchmarks.md"),
                results != null ? results : root.resolve("bench/results"),
                gatewayCpu, loadCpu, pin, jvm, skip,
                command != null ? command : "bench/run" + (quick ? " --quick" : ""));
        new Harness(quick ? Harness.Config.quick() : Harness.Config.full(), options).run();
    }

    private static void fake(List<String> args) throws Exception {
        int port = 9001;
        for (int i = 0; i < args.size(); i++) {
            if (args.get(i).equals("--port")) {
                port = Integer.parseInt(value(args, i++, "--port"));
            }
        }
        FakeUpstream fake = FakeUpstream.start("127.0.0.1", port);
        System.out.println("fake upstream on " + fake.baseUrl() + " (model names choose the behaviour: fake-l20, "
                + "fake-s20x20x2, fake-l0-e500p10; see FakeMode)");
        Thread.currentThread().join();
    }
}
