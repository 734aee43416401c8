package dev.veil.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.veil.gateway.openai.InvalidRequestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class QueryParamsTest {

    @Test
    void decodesPercentEncodedUtf8AndPlus() throws Exception {
        QueryParams query = QueryParams.parse("model=gpt%2D4o&after=a+b&empty=&flag&x=%C3%A9&model=second");
        assertThat(query.get("model")).isEqualTo("gpt-4o");
        assertThat(query.get("after")).isEqualTo("a b");
        assertThat(query.get("empty")).isEmpty();
        assertThat(query.get("flag")).isEmpty();
        assertThat(query.get("x")).isEqualTo("é");
        assertThat(query.get("missing")).isNull();
        assertThat(QueryParams.parse(null).get("a")).isNull();
        assertThat(QueryParams.pathSegment("org%2Fmodel+1", "model")).isEqualTo("org/model+1");
    }

    @ParameterizedTest
    @CsvSource({
            "after=%ZZ, after",
            "after=%4, after",
            "after=%, after",
            "after=%C0%AF, after",          // overlong '/'
            "after=%ED%A0%80, after",       // a UTF-16 surrogate in CESU-8
            "after=%FF, after",
            "limit=1&after=ok&order=%E0%A4%A, order",
    })
    void malformedEncodingIsA400NamingTheParameter(String query, String param) {
        assertThatThrownBy(() -> QueryParams.parse(query))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> {
                    assertThat(e.error().httpStatus()).isEqualTo(400);
                    assertThat(e.error().param()).isEqualTo(param);
                    assertThat(e.error().code()).isEqualTo("invalid_encoding");
                });
    }

    @Test
    void aMalformedNameIsA400WithoutParam() {
        assertThatThrownBy(() -> QueryParams.parse("%zz=1"))
                .isInstanceOfSatisfying(InvalidRequestException.class, e -> assertThat(e.error().param()).isNull());
        assertThatThrownBy(() -> QueryParams.pathSegment("%E0%A4%A", "model"))
                .isInstanceOfSatisfying(InvalidRequestException.class,
                        e -> assertThat(e.error().param()).isEqualTo("model"));
    }

    @Test
    void wholeNumbersOutOfRangeNameTheParameter() throws Exception {
        QueryParams query = QueryParams.parse("limit=101&n=7&big=99999999999999999999");
        assertThat(query.intValue("n", 20, 1, 100)).isEqualTo(7);
        assertThat(query.intValue("absent", 20, 1, 100)).isEqualTo(20);
        for (String name : new String[] {"limit", "big"}) {
            assertThatThrownBy(() -> query.intValue(name, 20, 1, 100))
                    .isInstanceOfSatisfying(InvalidRequestException.class,
                            e -> assertThat(e.error().param()).isEqualTo(name));
        }
    }
}
