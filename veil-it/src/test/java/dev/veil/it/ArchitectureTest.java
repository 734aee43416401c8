package dev.veil.it;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module and package rules docs/architecture.md states, checked on the compiled main classes of every module:
 * dependencies point one way (app → gateway/node/client → http/store/protocol/tokens), the three servers do not
 * reach into each other, the shared modules hold no server code, inside the gateway the request-reading and
 * routing packages do not reach back into the HTTP server or the relay, and an endpoint's own package
 * ({@code anthropic}) is reached only from the server's dispatch and wiring.
 */
class ArchitectureTest {

    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.veil");
        // A rule over no classes would pass whatever the code does: every module's classes must be here.
        for (String module : java.util.List.of("dev.veil.app.VeilCommand", "dev.veil.gateway.Gateway",
                "dev.veil.node.NodeServer", "dev.veil.client.VeilClient", "dev.veil.protocol.api.Endpoint",
                "dev.veil.http.StrictHttpTransport", "dev.veil.store.Store", "dev.veil.tokens.Tokenizer")) {
            org.assertj.core.api.Assertions.assertThat(classes.contain(module)).as("imported %s", module).isTrue();
        }
    }

    private static void check(ArchRule rule) {
        rule.check(classes);
    }

    @Test
    void nothingDependsOnTheApp() {
        check(noClasses().that().resideOutsideOfPackage("dev.veil.app..")
                .should().dependOnClassesThat().resideInAPackage("dev.veil.app..")
                .because("veil-app wires everything together; nothing below it may depend on it"));
    }

    @Test
    void gatewayNodeAndClientDoNotReachIntoEachOther() {
        check(noClasses().that().resideInAPackage("dev.veil.gateway..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.veil.node..", "dev.veil.client..")
                .because("the gateway's tee mode uses veil-protocol's client-side classes, not the blocking SDK"));
        check(noClasses().that().resideInAPackage("dev.veil.node..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.veil.gateway..", "dev.veil.client.."));
        check(noClasses().that().resideInAPackage("dev.veil.client..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.veil.gateway..", "dev.veil.node.."));
    }

    @Test
    void sharedModulesDoNotDependOnTheServers() {
        check(noClasses().that().resideInAnyPackage("dev.veil.protocol..", "dev.veil.tokens..", "dev.veil.store..",
                        "dev.veil.http..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.veil.gateway..", "dev.veil.node..",
                        "dev.veil.client..", "dev.veil.app.."));
    }

    @Test
    void theProtocolHoldsNoServerCode() {
        check(noClasses().that().resideInAPackage("dev.veil.protocol..")
                .should().dependOnClassesThat().resideInAnyPackage("io.vertx..", "dev.veil.store..", "dev.veil.http..",
                        "dev.veil.tokens..", "java.sql..")
                .because("veil-protocol holds wire types shared by every part: Jackson core and BouncyCastle, no server"));
        check(noClasses().that().resideInAnyPackage("dev.veil.tokens..", "dev.veil.store..")
                .should().dependOnClassesThat().resideInAnyPackage("io.vertx..", "dev.veil.http.."));
    }

    @Test
    void theEndpointDescriptionsAreDataOnly() {
        check(noClasses().that().resideInAPackage("dev.veil.protocol.api..")
                .should().dependOnClassesThat().resideOutsideOfPackages("dev.veil.protocol..", "java..")
                .because("an endpoint is described once, as data every module can read"));
    }

    @Test
    void gatewayRequestReadingAndRoutingDoNotReachBackIntoServerOrRelay() {
        check(noClasses().that().resideInAnyPackage("dev.veil.gateway.config..", "dev.veil.gateway.routing..",
                        "dev.veil.gateway.openai..", "dev.veil.gateway.policy..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.veil.gateway.http..",
                        "dev.veil.gateway.relay..", "dev.veil.gateway.batch..", "dev.veil.gateway.admin..")
                .because("configuration, routing, request inspection and planning are used by the server and the relay, "
                        + "not the other way round"));
        check(noClasses().that().resideInAPackage("dev.veil.gateway.config..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.veil.gateway.routing..",
                        "dev.veil.gateway.policy..", "dev.veil.gateway.openai..", "dev.veil.gateway.metering..")
                .because("configuration records are plain data read by the rest"));
    }

    @Test
    void anEndpointsOwnPackageIsALeafWiredOnlyByTheServer() {
        // Anthropic's Messages API: reached only through ApiServer's dispatch and Gateway's wiring; it uses the shared
        // parts (inspection, planning, relay pieces, metering), never the other way round, and is neither batched nor
        // administered.
        check(noClasses().that().resideInAPackage("dev.veil.gateway..")
                .and().resideOutsideOfPackages("dev.veil.gateway.anthropic..", "dev.veil.gateway.http..")
                .and().doNotHaveFullyQualifiedName("dev.veil.gateway.Gateway")
                .should().dependOnClassesThat().resideInAPackage("dev.veil.gateway.anthropic..")
                .because("the shared request path reads the endpoint description, not the endpoint's own code"));
        check(noClasses().that().resideInAPackage("dev.veil.gateway.anthropic..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.veil.gateway.batch..",
                        "dev.veil.gateway.admin..")
                .because("the Messages API is neither batched nor an administration API"));
    }
}
