package dev.veil.gateway.routing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.veil.gateway.config.ModelConfig;
import dev.veil.gateway.config.RouteConfig;
import dev.veil.gateway.config.UpstreamConfig;
import dev.veil.gateway.config.VeilConfig;
import dev.veil.tokens.Tokenizer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelCatalogTokenizerTest {

    @Test
    void aRouteCountsWithItsDeclaredTokenizerElseItsModelsEncodingElseTheEstimate() {
        List<RouteConfig> routes = List.of(
                new RouteConfig("declared", "u", "meta-llama/Llama-3.1-8B-Instruct", 1, null, null, null, null, null, "cl100k_base"),
                new RouteConfig("openai", "u", "gpt-4o-mini", 1, null, null),
                new RouteConfig("other", "u", "mistral-large", 1, null, null),
                new RouteConfig("off", "u", "gpt-4o", 1, null, null, null, null, null, "none"));
        ModelCatalog catalog = ModelCatalog.from(new VeilConfig(null, null, List.of(UpstreamConfig.of("u", "http://127.0.0.1:1/v1")),
                List.of(new ModelConfig("m", null, null, routes)), null, null), Map.of());

        assertThat(catalog.find("m").routes()).extracting(Route::name, r -> r.tokenizer().name()).containsExactly(
                org.assertj.core.groups.Tuple.tuple("declared", "cl100k_base"),
                org.assertj.core.groups.Tuple.tuple("openai", "o200k_base"),
                org.assertj.core.groups.Tuple.tuple("other", Tokenizer.NONE),
                org.assertj.core.groups.Tuple.tuple("off", Tokenizer.NONE));
    }
}
