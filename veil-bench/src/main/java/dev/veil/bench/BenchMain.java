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
 *   <li>{@code soak [--minutes N | --smoke] [options]}: the soak run with faults and hostile clients (bench/soak calls
 *       it);</li>
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
            case "soak" -> soak(rest);
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
                                      [--veil-jvm "-Xmx128m ..."] [--skip nginx,portkey,shared] [--command TEXT]
                                      [--cells c1,c1x,max,r500,r2000,stream,responses,e2ee,shared,slow] [--keep-work]
                       veil-bench soak [--minutes N | --seconds N | --smoke] [--rate R] [--fault-percent P]
                                       [--faults all|reset,slow,stall,reset-mid,5xx,429,endless,endless-error,malformed|none]
                                       [--hostile all|slowloris,big-body,no-read|none] [--hostile-rate N] [--hostile-max N]
                                       [--root DIR] [--veil-jar JAR] [--doc FILE] [--no-doc] [--results DIR]
                                       [--gateway-cpu N] [--load-cpu N] [--no-pin] [--veil-jvm "..."] [--command TEXT]
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
        List<String> cells = List.of();
        String command = null;
        boolean keepWork = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--quick" -> quick = true;
                case "--keep-work" -> keepWork = true;
                case "--cells" -> cells = Harness.checkedCells(value(args, i++, a));
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
                gatewayCpu, loadCpu, pin, jvm, skip, cells,
                command != null ? command : "bench/run" + (quick ? " --quick" : ""), keepWork);
        new Harness(quick ? Harness.Config.quick() : Harness.Config.full(), options).run();
    }

    private static void soak(List<String> args) throws Exception {
        Path root = Path.of(".").toAbsolutePath().normalize();
        Path veilJar = null;
        Path doc = null;
        Path results = null;
        int gatewayCpu = 1;
        int loadCpu = 0;
        boolean pin = true;
        boolean writeDoc = true;
        List<String> jvm = List.of("-Xmx128m", "-XX:+ExitOnOutOfMemoryError", "-XX:TrimNativeHeapInterval=5000",
                "--sun-misc-unsafe-memory-access=allow");
        String command = null;
        long seconds = 300;
        int rate = 200;
        int faultPercent = 20;
        String faults = "all";
        String hostile = "all";
        int hostileRate = 2;
        int hostileMax = 200;
        boolean smoke = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--minutes" -> seconds = Math.round(Double.parseDouble(value(args, i++, a)) * 60);
                case "--seconds" -> seconds = Long.parseLong(value(args, i++, a));
                case "--smoke" -> smoke = true;
                case "--rate" -> rate = Integer.parseInt(value(args, i++, a));
                case "--fault-percent" -> faultPercent = Integer.parseInt(value(args, i++, a));
                case "--faults" -> faults = value(args, i++, a);
                case "--hostile" -> hostile = value(args, i++, a);
                case "--hostile-rate" -> hostileRate = Integer.parseInt(value(args, i++, a));
                case "--hostile-max" -> hostileMax = Integer.parseInt(value(args, i++, a));
                case "--root" -> root = Path.of(value(args, i++, a)).toAbsolutePath().normalize();
                case "--veil-jar" -> veilJar = Path.of(value(args, i++, a));
                case "--doc" -> doc = Path.of(value(args, i++, a));
                case "--no-doc" -> writeDoc = false;
                case "--results" -> results = Path.of(value(args, i++, a));
                case "--gateway-cpu" -> gatewayCpu = Integer.parseInt(value(args, i++, a));
                case "--load-cpu" -> loadCpu = Integer.parseInt(value(args, i++, a));
                case "--no-pin" -> pin = false;
                case "--veil-jvm" -> jvm = List.of(value(args, i++, a).trim().split("\\s+"));
                case "--command" -> command = value(args, i++, a);
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (smoke) {
            seconds = Math.min(seconds, 40);
            hostileMax = Math.min(hostileMax, 40);
        }
        if (seconds < 10 || rate < 1 || hostileRate < 0 || hostileMax < 1) {
            throw new IllegalArgumentException("the soak needs at least 10 s, a rate of at least 1 request a second, "
                    + "a hostile rate of at least 0 and a hostile maximum of at least 1");
        }
        FaultPlan.of(faultPercent, faults, 1); // fails early, naming the known faults, on a typo
        java.util.Set<HostileClients.Kind> kinds = java.util.EnumSet.noneOf(HostileClients.Kind.class);
        if (hostile.equals("all")) {
            kinds.addAll(java.util.EnumSet.allOf(HostileClients.Kind.class));
        } else if (!hostile.equals("none") && !hostile.isBlank()) {
            for (String id : hostile.split(",")) {
                kinds.add(HostileClients.Kind.byId(id));
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
            System.out.println("[soak] taskset not found: running unpinned");
            pin = false;
        }
        new Soak(new Soak.Options(root, veilJar, doc != null ? doc : root.resolve("docs/benchmarks.md"),
                results != null ? results : root.resolve("bench/results"), gatewayCpu, loadCpu, pin, jvm,
                command != null ? command : "bench/soak", seconds, rate, 50, faultPercent, faults, kinds, hostileRate,
                hostileMax, writeDoc)).run();
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
